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
  private static final Pattern NAME = Pattern.compile(NAME_REGEX);

  /** What a client is told when it names something that is not a stream name. */
  public static String notAName(String name) {
    return "'" + EventRules.clip(name, 200) + "' is not a stream name: <namespace>.<key>, the namespace " + NAMESPACE_RULE
      + ", the key " + KEY_RULE;
  }

  private Streams() {
  }

  public static boolean isValidName(String stream) {
    return stream != null && NAME.matcher(stream).matches();
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
