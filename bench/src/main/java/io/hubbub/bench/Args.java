package io.hubbub.bench;

import java.util.HashMap;
import java.util.Map;

/** A scenario's {@code key=value} arguments. */
final class Args {

  private Args() {
  }

  static Map<String, String> parse(String[] argv) {
    Map<String, String> args = new HashMap<>();
    for (String a : argv) {
      String[] kv = a.split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("expected key=value, got '" + a + "'");
      }
      args.put(kv[0], kv[1]);
    }
    return args;
  }
}
