package io.hubbub.conf;

/** A conf file or variable that cannot be used: the message is one line naming the key and what was expected. */
public final class ConfException extends RuntimeException {

  public ConfException(String key, String expected, Object got) {
    super(key + ": expected " + expected + ", got " + describe(got));
  }

  public ConfException(String message) {
    super(message);
  }

  private static String describe(Object got) {
    if (got == null) {
      return "nothing";
    }
    String text = got instanceof String s ? "'" + s + "'" : String.valueOf(got);
    return text.length() > 80 ? text.substring(0, 80) + "…" : text;
  }
}
