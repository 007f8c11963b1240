package io.hubbub.embedded;

import de.bwaldvogel.mongo.backend.KeyValue;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The key type of the embedded store's index maps. mongo-java-server keys its H2 indexes by {@link KeyValue},
 * a class H2 does not know, so H2's default type compared two keys by Java-serializing both, and stored
 * every key of a page it wrote by Java serialization: index maintenance was most of the cost of a write
 * (a profile of bulk inserts: ~70% of the store's CPU, and a B-tree search serialized ~30 keys). This type
 * compares the values themselves (strings, numbers, booleans by their natural order) and writes them in
 * a compact form; other values (documents, dates, ...) are compared and written as before, serialized.
 * Used only for maps made with it ({@link DurableH2Backend} marks them): the byte format differs.
 *
 * <p>An ASCII string (stream names, ids, seqs: nearly every key) is written as its bytes in one copy
 * ({@link #ASCII}); others as before, a char at a time by H2's {@code putStringData} ({@link #STRING}), which for
 * every string was a tenth of the server's CPU under the fleet benchmark: a checkpoint rewrites every index page a
 * write touched, every key of it.
 *
 * <p>A key of one string (every key of the store's own indexes) is held in the map as that {@link String}, not as a
 * {@code KeyValue} ({@link #flat}, {@link #key}): a B-tree search compares a page's keys one after another through
 * memory it has not touched, and a {@code KeyValue} is three objects more to reach its string than the string
 * itself (a lookup in a million such keys: ~2.6 µs as {@code KeyValue}s, ~1.3 µs as strings,
 * {@code bench/micro/IndexKeyBench.java}). It is written as the {@code KeyValue} of that string was, and orders
 * as it did, so the bytes and the order on disk are unchanged.
 */
final class KeyOrder extends BasicDataType<Object> {

  private static final byte NULL = 0;
  private static final byte STRING = 1;
  private static final byte LONG = 2;
  private static final byte INTEGER = 3;
  private static final byte DOUBLE = 4;
  private static final byte TRUE = 5;
  private static final byte FALSE = 6;
  private static final byte SERIALIZED = 7;
  private static final byte ASCII = 8;

  /** The key as the map holds it: a key of one string as the string, any other as the {@code KeyValue}. */
  static Object flat(KeyValue key) {
    return key.size() == 1 && key.get(0) instanceof String s ? s : key;
  }

  /** A key the map holds, as the {@code KeyValue} mongo-java-server knows it by. */
  static KeyValue key(Object held) {
    return held instanceof String s ? new KeyValue(s) : (KeyValue) held;
  }

  @Override
  public int compare(Object x, Object y) {
    if (x instanceof String a && y instanceof String b) {
      return a.compareTo(b);
    }
    return compare(key(x), key(y));
  }

  private static int compare(KeyValue x, KeyValue y) {
    int n = Math.min(x.size(), y.size());
    for (int i = 0; i < n; i++) {
      int c = compareValues(x.get(i), y.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(x.size(), y.size());
  }

  /** A total order consistent with {@code equals}, which is what the unique index's lookups rely on. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compareValues(Object a, Object b) {
    if (a == b) {
      return 0;
    }
    if (a == null || b == null) {
      return a == null ? -1 : 1;
    }
    if (a.getClass() != b.getClass()) {
      return a.getClass().getName().compareTo(b.getClass().getName());
    }
    if (a instanceof String || a instanceof Long || a instanceof Integer || a instanceof Double || a instanceof Boolean) {
      return ((Comparable) a).compareTo(b);
    }
    return ObjectDataType.compareNotNull(ObjectDataType.serialize(a), ObjectDataType.serialize(b));
  }

  @Override
  public int getMemory(Object held) {
    if (held instanceof String s) {
      return 40 + 2 * s.length();
    }
    KeyValue key = (KeyValue) held;
    int size = 24;
    for (Object value : key) {
      size += value instanceof String s ? 40 + 2 * s.length() : 32;
    }
    return size;
  }

  @Override
  public void write(WriteBuffer buff, Object held) {
    if (held instanceof String s) {
      writeValue(buff.putVarInt(1), s);
      return;
    }
    KeyValue key = (KeyValue) held;
    buff.putVarInt(key.size());
    for (Object value : key) {
      writeValue(buff, value);
    }
  }

  private static void writeValue(WriteBuffer buff, Object value) {
    if (value == null) {
      buff.put(NULL);
    } else if (value instanceof String s) {
      byte[] ascii = ascii(s);
      if (ascii != null) {
        buff.put(ASCII).putVarInt(ascii.length).put(ascii);
      } else {
        buff.put(STRING).putVarInt(s.length()).putStringData(s, s.length());
      }
    } else if (value instanceof Long l) {
      buff.put(LONG).putLong(l);
    } else if (value instanceof Integer i) {
      buff.put(INTEGER).putInt(i);
    } else if (value instanceof Double d) {
      buff.put(DOUBLE).putDouble(d);
    } else if (value instanceof Boolean b) {
      buff.put(b ? TRUE : FALSE);
    } else {
      byte[] bytes = ObjectDataType.serialize(value);
      buff.put(SERIALIZED).putVarInt(bytes.length).put(bytes);
    }
  }

  /**
   * The bytes of a string of ASCII characters only, else null. UTF-8 makes one byte of each ASCII character and
   * more of any other, except a lone surrogate, which it makes a {@code '?'}: told apart where one appears.
   */
  static byte[] ascii(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (bytes.length != s.length()) {
      return null;
    }
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '?' && s.charAt(i) != '?') {
        return null;
      }
    }
    return bytes;
  }

  /** A string {@link #ascii} gave, as written after its tag: its length, then its bytes. */
  static String readAscii(ByteBuffer buff) {
    byte[] ascii = new byte[DataUtils.readVarInt(buff)];
    buff.get(ascii);
    return new String(ascii, StandardCharsets.US_ASCII);
  }

  @Override
  public Object read(ByteBuffer buff) {
    int size = DataUtils.readVarInt(buff);
    List<Object> values = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      byte tag = buff.get();
      values.add(switch (tag) {
        case NULL -> null;
        case ASCII -> readAscii(buff);
        case STRING -> DataUtils.readString(buff, DataUtils.readVarInt(buff));
        case LONG -> buff.getLong();
        case INTEGER -> buff.getInt();
        case DOUBLE -> buff.getDouble();
        case TRUE -> true;
        case FALSE -> false;
        case SERIALIZED -> {
          byte[] bytes = new byte[DataUtils.readVarInt(buff)];
          buff.get(bytes);
          yield ObjectDataType.deserialize(bytes);
        }
        default -> throw new IllegalStateException("unknown index key tag " + tag);
      });
    }
    return size == 1 && values.get(0) instanceof String s ? s : new KeyValue(values);
  }

  @Override
  public Object[] createStorage(int size) {
    return new Object[size];
  }
}
