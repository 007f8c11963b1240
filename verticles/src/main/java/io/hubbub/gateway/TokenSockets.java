package io.hubbub.gateway;

import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** The sockets whose registrations a session's token authorised: a logout closes them. */
final class TokenSockets {

  private final Map<String, Set<SockJSSocket>> byToken = new HashMap<>();

  void add(String token, SockJSSocket socket) {
    byToken.computeIfAbsent(token, t -> new HashSet<>()).add(socket);
  }

  /** The socket is gone: it leaves the sets of the tokens it used. */
  void remove(SockJSSocket socket, Set<String> tokens) {
    tokens.forEach(token -> {
      Set<SockJSSocket> sockets = byToken.get(token);
      if (sockets != null && sockets.remove(socket) && sockets.isEmpty()) {
        byToken.remove(token);
      }
    });
  }

  /** The sockets of a token that ended; it is forgotten. */
  Set<SockJSSocket> end(String token) {
    Set<SockJSSocket> sockets = byToken.remove(token);
    return sockets == null ? Set.of() : sockets;
  }
}
