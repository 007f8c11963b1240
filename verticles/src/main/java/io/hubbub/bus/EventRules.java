package io.hubbub.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an event may look like when a client publishes it (PROTOCOL.md, "Streams and events").
 * The gateway checks it to answer the client precisely; storage checks it again, since any verticle
 * may send to it, unless the gateway on its own node checked it ({@link StorageBus.Checking}). Nothing that passes can
 * be read by MongoDB as an operator or a path.
 */
public final class EventRules {

  public static final Pattern TYPE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
  /** {@link #TYPE} and {@link #ID} in words, for error messages. */
  public static final String TYPE_RULE = "1 to 64 capital letters A-Z, digits or '_', starting with a letter (e.g. ORDER_PLACED)";
  public static final String ID_RULE = "1 to 64 letters A-Z or a-z, digits, '.', ':', '-' or '_'";
  public static final int MAX_DEPTH = 32;

  private static final Set<String> EVENT_FIELDS = Set.of("type", "data", "id", "expectedSeq");

  private EventRules() {
  }

  /**
   * Checks one event as a client sent it and returns a clean copy of the fields it may set:
   * {@code type}, {@code data}, and {@code id} and {@code expectedSeq} when given.
   * {@code extraFields} are fields the entry point itself reads (such as {@code stream}).
   */
  public static JsonObject checkEvent(Object value, int maxDataBytes, Set<String> extraFields, String where) {
    if (!(value instanceof JsonObject event)) {
      throw Failures.badRequest(where + " must be a JSON object");
    }
    for (String field : event.fieldNames()) {
      if (!EVENT_FIELDS.contains(field) && !extraFields.contains(field)) {
        throw Failures.badRequest(where + ": unknown field '" + printable(field) + "'");
      }
    }
    JsonObject clean = new JsonObject();
    Object type = event.getValue("type");
    if (!(type instanceof String t) || !isType(t)) {
      throw Failures.badRequest(where + ": 'type' must be " + TYPE_RULE);
    }
    clean.put("type", type);
    Object data = event.getValue("data");
    if (!(data instanceof JsonObject d)) {
      throw Failures.badRequest(where + ": 'data' must be a JSON object");
    }
    long most = checkDocument(d, "data");
    if (most > maxDataBytes) { // only then is it encoded to be measured: most data is far under the limit
      int size = d.toBuffer().length();
      if (size > maxDataBytes) {
        throw Failures.of(Failures.TOO_LARGE, where + ": 'data' is " + size + " bytes, more than " + maxDataBytes);
      }
    }
    clean.put("data", d);
    if (event.containsKey("id")) {
      Object id = event.getValue("id");
      if (!(id instanceof String s) || !isId(s)) {
        throw Failures.badRequest(where + ": 'id' must be " + ID_RULE);
      }
      clean.put("id", id);
    }
    if (event.containsKey("expectedSeq")) {
      Object expected = event.getValue("expectedSeq");
      if (!(expected instanceof Integer || expected instanceof Long) || ((Number) expected).longValue() < 0) {
        throw Failures.badRequest(where + ": 'expectedSeq' must be an integer of 0 or more");
      }
      clean.put("expectedSeq", ((Number) expected).longValue());
    }
    return clean;
  }

  /**
   * Refuses keys MongoDB would treat as operators or paths ($-prefixed, containing '.' or NUL),
   * nesting deeper than {@link #MAX_DEPTH} and numbers that cannot be stored as they were sent; answers the most
   * bytes the document's JSON can take ({@link #checkValue}).
   */
  public static long checkDocument(JsonObject document, String path) {
    return checkValue(document, Where.root(path), 0);
  }

  /**
   * Checks a value (as {@link #checkDocument}) and answers the most bytes its JSON can take as Vert.x encodes it
   * (UTF-8, no spaces), or {@link Long#MAX_VALUE} when it holds a value of a type JSON has not (a buffer, an instant:
   * measured by encoding it). No character takes more than 6 bytes ({@code \\uXXXX}), no integer more than 20
   * characters, no finite double or float more than 32.
   */
  private static long checkValue(Object value, Where path, int depth) {
    if (depth > MAX_DEPTH) {
      throw Failures.badRequest("'" + path + "' is nested deeper than " + MAX_DEPTH + " levels");
    }
    if (value instanceof String text) {
      checkUnicode(text, path);
      return 2 + 6L * text.length();
    } else if (value instanceof JsonObject object) {
      long most = 2L + Math.max(0, object.size() - 1); // braces, commas
      for (Map.Entry<String, Object> entry : object) {
        String key = entry.getKey();
        checkUnicode(key, path);
        if (key.startsWith("$") || key.indexOf('.') >= 0 || key.indexOf('\0') >= 0) {
          throw Failures.badRequest("key '" + printable(key) + "' in '" + path
            + "' is not allowed: keys may not start with '$' or contain '.' or NUL");
        }
        most = plus(most, 3 + 6L * key.length() + checkValue(entry.getValue(), path.key(key), depth + 1));
      }
      return most;
    } else if (value instanceof JsonArray array) {
      long most = 2L + Math.max(0, array.size() - 1);
      for (int i = 0; i < array.size(); i++) {
        most = plus(most, checkValue(array.getValue(i), path.index(i), depth + 1));
      }
      return most;
    } else if (value instanceof BigInteger || value instanceof BigDecimal) {
      throw Failures.badRequest("number at '" + path + "' is out of range");
    } else if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
      throw Failures.badRequest("number at '" + path + "' is not finite");
    } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      return 20;
    } else if (value instanceof Double || value instanceof Float) {
      return 32;
    } else if (value instanceof Boolean) {
      return 5;
    } else if (value == null) {
      return 4;
    }
    return Long.MAX_VALUE;
  }

  private static long plus(long a, long b) {
    return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
  }

  /**
   * Where a value sits in a document ({@code data.a[2].b}), spelled out only for an error message: a check of every
   * key of every document stored builds no string.
   */
  private record Where(Where parent, String key, int index) {

    static Where root(String path) {
      return new Where(null, path, -1);
    }

    Where key(String child) {
      return new Where(this, child, -1);
    }

    Where index(int i) {
      return new Where(this, null, i);
    }

    @Override
    public String toString() {
      if (parent == null) {
        return key;
      }
      return parent + (key != null ? "." + printable(key) : "[" + index + "]");
    }
  }

  /**
   * 400 for a string holding half of a UTF-16 surrogate pair: it has no UTF-8 form, so storing it would
   * replace it with U+FFFD, and data is returned exactly as given or refused.
   */
  public static void checkUnicode(String text, String path) {
    checkUnicode(text, (Object) path);
  }

  private static void checkUnicode(String text, Object path) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw Failures.badRequest("'" + path + "' holds an unpaired UTF-16 surrogate (\\u" + Integer.toHexString(c)
          + " at " + i + "): it is not a character and cannot be stored");
      }
    }
  }

  /** Whether a text shows nothing: only spaces of any kind, format and control characters, and blank fillers. */
  public static boolean isInvisible(String text) {
    return text.codePoints().allMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c)
      || Character.getType(c) == Character.FORMAT || Character.getType(c) == Character.CONTROL
      || c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0 || c == 0x2800);
  }

  /** A key as it may appear in an error message: short, with control characters escaped. */
  public static String printable(String key) {
    if (key == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < key.length() && out.length() < 80; i++) {
      char c = key.charAt(i);
      out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return key.length() > 80 ? out + "…" : out.toString();
  }

  /**
   * Whether {@code text} matches {@link #TYPE}, checked a character at a time, as {@link Streams#isValidName} is
   * (every event's type is checked twice on its way). {@code NameChecksTest} holds it to the regex.
   */
  public static boolean isType(String text) {
    int length = text.length();
    if (length < 1 || length > 64 || !Streams.upper(text.charAt(0))) {
      return false;
    }
    for (int i = 1; i < length; i++) {
      char c = text.charAt(i);
      if (!Streams.upper(c) && !Streams.digit(c) && c != '_') {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code text} matches {@link #ID}, checked a character at a time, as {@link #isType} is. */
  public static boolean isId(String text) {
    int length = text.length();
    if (length < 1 || length > 64) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      if (!Streams.lower(c) && !Streams.upper(c) && !Streams.digit(c) && c != '_' && c != '.' && c != ':' && c != '-') {
        return false;
      }
    }
    return true;
  }

  /** At most {@code max} characters of a text, with "…" when cut; "null" for none. */
  public static String clip(String text, int max) {
    if (text == null) {
      return "null";
    }
    return text.length() <= max ? text : text.substring(0, max) + "…";
  }

  /** Reads a field that must be a stream key ({@link Streams#KEY}: a device id, a room), failing with 400 otherwise. */
  public static String key(JsonObject body, String field) {
    if (!(body.getValue(field) instanceof String key) || !Streams.isKey(key)) {
      throw Failures.badRequest("'" + field + "' must be " + Streams.KEY_RULE);
    }
    return key;
  }

  /** Reads an optional integer field, failing with 400 when it is there and not an integer in range. */
  public static long optionalLong(JsonObject body, String field, long fallback, long min, long max) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Integer || value instanceof Long)) {
      throw Failures.badRequest("'" + field + "' must be an integer");
    }
    long n = ((Number) value).longValue();
    if (n < min || n > max) {
      throw Failures.badRequest("'" + field + "' must be between " + min + " and " + max);
    }
    return n;
  }
}
