package io.hubbub.client;

/** A refusal by Hubbub: the HTTP status, or the bridge's failure code (the same numbers), and its message. */
public final class HubbubException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int code;

  public HubbubException(int code, String message) {
    super(message);
    this.code = code;
  }

  /** 400, 401, 403, 404, 409, 413, 429, 503, … as PROTOCOL's status codes. */
  public int code() {
    return code;
  }
}
