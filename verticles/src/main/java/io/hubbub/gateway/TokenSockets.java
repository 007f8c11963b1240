package io.hubbub.gateway;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a session's token authorised, by token: the bridge's sockets with registrations, the live HTTP streams. A
 * logout ends them. {@code S} is what is kept: a socket, a stream.
 */
final class TokenSockets<S> {

  private final Map<String, Set<S>> byToken = new HashMap<>();

  void add(String token, S socket) {
    byToken.computeIfAbsent(token, t -> new HashSet<>()).add(socket);
  }

  /** The socket is gone: it leaves the sets of the tokens it used. */
  void remove(S socket, Set<String> tokens) {
    tokens.forEach(token -> {
      Set<S> sockets = byToken.get(token);
      if (sockets != null && sockets.remove(socket) && sockets.isEmpty()) {
        byToken.remove(token);
      }
    });
  }

  /** The sockets of a token that ended; it is forgotten. */
  Set<S> end(String token) {
    Set<S> sockets = byToken.remove(token);
    return sockets == null ? Set.of() : sockets;
  }
}
