package io.hubbub.bench;

import io.hubbub.client.BlockingHttp;

/** A user and a session on the Hubbub under test, over its HTTP API. */
final class Sessions {

  private Sessions() {
  }

  /** Creates the user {@code bench} (if it is new) and returns a session token. */
  static String token(int port) throws Exception {
    return BlockingHttp.local(port).signUpAndLogin("bench", "bench-password-1");
  }
}
