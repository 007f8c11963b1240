package io.hubbub.bus;

import java.util.regex.Pattern;

/** Stream names (PROTOCOL.md, "Streams and events") and the live address each one publishes on. */
public final class Streams {

  public static final String LIVE_PREFIX = "streams.live.";
  public static final Pattern NAMESPACE = Pattern.compile("[a-z][a-z0-9-]{0,31}");
  public static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  /** {@link #NAMESPACE} and {@link #KEY} in words, for error messages. */
  public static final String NAMESPACE_RULE = "1 to 32 lowercase letters, digits or '-', starting with a letter";
  public static final String KEY_RULE = "1 to 128 letters A-Z or a-z (no accents), digits, '-' or '_'";
  /** A stream name, {@code <namespace>.<key>}, as a regular expression. */
  public static final String NAME_REGEX = NAMESPACE.pattern() + "\\." + KEY.pattern();

  /** What a client is told when it names something that is not a stream name. */
  public static String notAName(String name) {
    return "'" + EventRules.clip(name, 200) + "' is not a stream name: <namespace>.<key>, the namespace " + NAMESPACE_RULE
      + ", the key " + KEY_RULE;
  }

  private Streams() {
  }

  /**
   * Whether {@code stream} matches {@link #NAME_REGEX}, checked a character at a time: every published event is
   * checked three times on its way (gateway, namespace rules, storage), and the regex's matcher was ~3% of the event
   * loops' CPU under 64 publishers. {@code NameChecksTest} holds it to the regex.
   */
  public static boolean isValidName(String stream) {
    if (stream == null) {
      return false;
    }
    int dot = stream.indexOf('.');
    return dot > 0 && isNamespace(stream, dot) && isKey(stream, dot + 1, stream.length());
  }

  /** Whether {@code text} matches {@link #KEY}, checked as {@link #isValidName} checks a name's key. */
  public static boolean isKey(String text) {
    return text != null && isKey(text, 0, text.length());
  }

  /** {@link #NAMESPACE}: the first {@code length} characters. */
  private static boolean isNamespace(String text, int length) {
    if (length > 32 || !lower(text.charAt(0))) {
      return false;
    }
    for (int i = 1; i < length; i++) {
      char c = text.charAt(i);
      if (!lower(c) && !digit(c) && c != '-') {
        return false;
      }
    }
    return true;
  }

  /** {@link #KEY}: the characters from {@code from} to {@code to}. */
  private static boolean isKey(String text, int from, int to) {
    if (to - from < 1 || to - from > 128) {
      return false;
    }
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (!lower(c) && !upper(c) && !digit(c) && c != '-' && c != '_') {
        return false;
      }
    }
    return true;
  }

  static boolean lower(char c) {
    return c >= 'a' && c <= 'z';
  }

  static boolean upper(char c) {
    return c >= 'A' && c <= 'Z';
  }

  static boolean digit(char c) {
    return c >= '0' && c <= '9';
  }

  /** The namespace of a valid stream name: what stands before the first dot. */
  public static String namespace(String stream) {
    return stream.substring(0, stream.indexOf('.'));
  }

  public static String key(String stream) {
    return stream.substring(stream.indexOf('.') + 1);
  }

  public static String liveAddress(String stream) {
    return LIVE_PREFIX + stream;
  }

  /** The stream of a live address, or null when the address is not one. */
  public static String ofLiveAddress(String address) {
    if (address == null || !address.startsWith(LIVE_PREFIX)) {
      return null;
    }
    String stream = address.substring(LIVE_PREFIX.length());
    return isValidName(stream) ? stream : null;
  }
}
