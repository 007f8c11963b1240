package io.hubbub.gateway;

import io.hubbub.bus.Bus;
import io.hubbub.bus.EventRules;
import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.Streams;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The browsers' event-bus bridge: which addresses pass, and the hook that authenticates every frame.
 *
 * <p>A frame to {@code streams.publish} or {@code streams.read} is let through with its headers
 * replaced by the principal its bearer token names (or the reason it names none), so the client's
 * own headers never reach the bus; the gateway's consumers of those addresses apply the namespace
 * rules and answer with the protocol's failure codes, which the bridge hands back to the caller.
 * A registration for {@code streams.live.<stream>} passes only when the principal may read the stream;
 * otherwise the client gets an error frame for that address with the code, then the bridge's refusal.
 * When the session behind a registration ends (logout), its sockets are closed.
 */
final class Bridge {

  static final String PUBLISH = "streams.publish";
  static final String READ = "streams.read";
  static final String PRINCIPAL_HEADER = "hubbub-principal";
  static final String AUTH_ERROR_HEADER = "hubbub-auth-error";
  private static final Set<String> INBOUND = Set.of(PUBLISH, READ);
  private static final Set<String> PUBLISH_FIELDS = Set.of("stream");

  private final Principals principals;
  private final StreamAccess streams;

  /** Sockets with live registrations, by the token that authorised them: a logout closes them. */
  private final Map<String, Set<SockJSSocket>> subscribers = new HashMap<>();
  private final Map<SockJSSocket, Set<String>> tokensOf = new HashMap<>();

  Bridge(Principals principals, StreamAccess streams) {
    this.principals = principals;
    this.streams = streams;
    principals.onRevoked(this::closeSocketsOf);
  }

  static SockJSBridgeOptions options(long replyTimeoutMs) {
    return new SockJSBridgeOptions()
      .addInboundPermitted(new PermittedOptions().setAddress(PUBLISH))
      .addInboundPermitted(new PermittedOptions().setAddress(READ))
      .addOutboundPermitted(new PermittedOptions().setAddressRegex("streams\\.live\\.[a-z][a-z0-9-]{0,31}\\.[A-Za-z0-9_-]{1,128}"))
      .setMaxAddressLength(Streams.LIVE_PREFIX.length() + 32 + 1 + 128)
      .setMaxHandlersPerSocket(1_000)
      .setReplyTimeout(replyTimeoutMs);
  }

  /** The gateway's consumers of the bridge's inbound addresses. */
  List<MessageConsumer<Object>> consumers(Vertx vertx) {
    return List.of(
      Bus.serve(vertx.eventBus(), PUBLISH, this::publish),
      Bus.serve(vertx.eventBus(), READ, this::read));
  }

  void handle(BridgeEvent event) {
    BridgeEventType type = event.type();
    JsonObject raw = event.getRawMessage();
    String address = raw == null ? null : raw.getString("address");
    if (type == BridgeEventType.PUBLISH && INBOUND.contains(address)) {
      event.complete(false);
    } else if (type == BridgeEventType.SEND && INBOUND.contains(address)) {
      authenticate(raw).onComplete(done -> event.complete(true));
    } else if (type == BridgeEventType.REGISTER) {
      register(event, raw, address);
    } else if (type == BridgeEventType.SOCKET_CLOSED) {
      forget(event.socket());
      event.complete(true);
    } else {
      event.complete(true);
    }
  }

  /** Replaces the frame's headers by the principal its token names, or the reason it names none. */
  private Future<Void> authenticate(JsonObject raw) {
    String authorization = authorization(raw);
    return principals.resolve(authorization)
      .map(principal -> {
        JsonObject headers = new JsonObject();
        if (principal != null) {
          headers.put(PRINCIPAL_HEADER, principal.encode());
        }
        raw.put("headers", headers);
        return (Void) null;
      })
      .otherwise(failure -> {
        raw.put("headers", new JsonObject().put(AUTH_ERROR_HEADER, Failures.code(failure) + " " + Failures.message(failure)));
        return null;
      });
  }

  private void register(BridgeEvent event, JsonObject raw, String address) {
    String stream = Streams.ofLiveAddress(address);
    if (stream == null) {
      event.complete(true); // not a live address: the bridge's own rules refuse it
      return;
    }
    String authorization = authorization(raw);
    principals.resolve(authorization)
      .compose(principal -> {
        streams.checkRead(principal, stream);
        return Future.succeededFuture();
      })
      .onSuccess(ok -> {
        String token = Principals.token(authorization);
        if (token != null) {
          subscribers.computeIfAbsent(token, t -> new HashSet<>()).add(event.socket());
          tokensOf.computeIfAbsent(event.socket(), s -> new HashSet<>()).add(token);
        }
        event.complete(true);
      })
      .onFailure(failure -> {
        JsonObject error = new JsonObject()
          .put("type", "err")
          .put("address", address)
          .put("failureCode", Failures.code(failure))
          .put("failureType", "RECIPIENT_FAILURE")
          .put("message", Failures.message(failure));
        event.socket().write(Buffer.buffer(error.encode()));
        event.complete(false);
      });
  }

  /** A logout ends the live subscriptions its token made: their sockets close, and clients must log in again. */
  private void closeSocketsOf(String token) {
    Set<SockJSSocket> sockets = subscribers.remove(token);
    if (sockets != null) {
      sockets.forEach(socket -> {
        forget(socket);
        socket.close(4401, "session ended");
      });
    }
  }

  private void forget(SockJSSocket socket) {
    Set<String> tokens = tokensOf.remove(socket);
    if (tokens != null) {
      tokens.forEach(token -> {
        Set<SockJSSocket> sockets = subscribers.get(token);
        if (sockets != null && sockets.remove(socket) && sockets.isEmpty()) {
          subscribers.remove(token);
        }
      });
    }
  }

  private Future<JsonObject> publish(JsonObject body, MultiMap headers) {
    JsonObject principal = principal(headers);
    String stream = stream(body);
    return streams.publish(principal, stream, List.of(body), PUBLISH_FIELDS).map(results -> results.getJsonObject(0));
  }

  private Future<JsonObject> read(JsonObject body, MultiMap headers) {
    JsonObject principal = principal(headers);
    String stream = stream(body);
    long from = EventRules.optionalLong(body, "from", 1, 0, Long.MAX_VALUE);
    int limit = (int) EventRules.optionalLong(body, "limit", StorageBus.DEFAULT_READ_LIMIT, 1, StorageBus.MAX_READ_LIMIT);
    return streams.read(principal, stream, from, limit);
  }

  /** The principal the hook put on the message; a token that failed makes every request fail with its code. */
  private static JsonObject principal(MultiMap headers) {
    String error = headers.get(AUTH_ERROR_HEADER);
    if (error != null) {
      int space = error.indexOf(' ');
      throw Failures.of(Integer.parseInt(error.substring(0, space)), error.substring(space + 1));
    }
    String principal = headers.get(PRINCIPAL_HEADER);
    return principal == null ? null : new JsonObject(principal);
  }

  private static String stream(JsonObject body) {
    return body.getValue("stream") instanceof String s ? s : null;
  }

  private static String authorization(JsonObject raw) {
    Object headers = raw.getValue("headers");
    if (headers instanceof JsonObject h) {
      Object value = h.containsKey("authorization") ? h.getValue("authorization") : h.getValue("Authorization");
      return value instanceof String s ? s : null;
    }
    return null;
  }

}
