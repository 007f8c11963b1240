package io.hubbub;

/**
 * Why a node cannot start, in one line an operator can act on: the port that is taken, the data folder in
 * use, the store that does not answer. {@link Main} prints it without a stack trace and exits 1.
 */
public final class StartupException extends RuntimeException {

  public StartupException(String message) {
    super(message);
  }

  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A port that cannot be listened on: the same sentence whether the preflight or the server itself finds it. */
  public static StartupException portTaken(String host, int port, Throwable cause) {
    return new StartupException("http.port " + port + " on " + host + " cannot be listened on (" + cause.getMessage()
      + "): another process has it? Set HUBBUB_HTTP_PORT to another port", cause);
  }
}
