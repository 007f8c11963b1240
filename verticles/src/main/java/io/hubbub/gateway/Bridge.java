package io.hubbub.gateway;

import io.hubbub.bus.Bus;
import io.hubbub.bus.Caller;
import io.hubbub.bus.ChatBus;
import io.hubbub.bus.EventRules;
import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.Streams;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The browsers' event-bus bridge: which addresses pass, and the hook that authenticates every frame.
 *
 * <p>A frame sent to an inbound address ({@code streams.publish}, {@code streams.read}, {@code chat.*}) is
 * let through with its headers replaced by the principal its bearer token names (or the reason it names
 * none), so the client's own headers never reach the bus; the receivers ({@link Caller}) apply their
 * rules and answer with the protocol's failure codes, which the bridge hands back to the caller.
 * A registration for {@code streams.live.<stream>} or {@code chat.presence.<room>} passes only when the
 * principal may read the stream (and, for presence, is a member of the room); otherwise the client gets an
 * error frame for that address with the code, then the bridge's refusal. Each socket's sends awaiting
 * answers and its registrations are bounded ({@link BridgeSocket}), refused past that with 429. Live events reach the socket through {@link LiveFanout} (one consumer
 * per stream, each event encoded once, a bound on what a slow socket may have queued); the bridge keeps
 * the registration itself, under an address nothing is sent to. Presence registrations are reported to
 * chat ({@link PresenceReports}), which derives who is online from them. When the session behind a registration
 * ends (logout), its sockets are closed ({@link TokenSockets}).
 */
final class Bridge {

  static final String PUBLISH = "streams.publish";
  static final String READ = "streams.read";
  private static final Set<String> INBOUND =
    Set.of(PUBLISH, READ, ChatBus.SEND, ChatBus.ROOMS, ChatBus.JOIN, ChatBus.LEAVE, ChatBus.TYPING, ChatBus.PRESENCE_SNAPSHOT,
      ChatBus.MEMBERS_PAGE);
  private static final Set<String> PUBLISH_FIELDS = Set.of("stream");
  /**
   * Where the bridge registers a socket's {@code streams.live.<stream>}: an address nothing is sent to.
   * The socket's events come from {@link LiveFanout}; the bridge keeps the registration's bookkeeping.
   */
  private static final String FANOUT_PREFIX = "bridge.live.";
  /** The bridge answers nothing to a longer reply address (it refuses the frame). */
  private static final int MAX_REPLY_ADDRESS = 36;

  private final Vertx vertx;
  private final Principals principals;
  private final StreamAccess streams;
  private final LiveFanout live;
  /** Bus requests' timeout, and how long the bridge waits for an answer (its reply timeout, {@link #options}). */
  private final long timeoutMs;

  /** Sockets with registrations, by the token that authorised them: a logout closes them. */
  private final TokenSockets<SockJSSocket> subscribers = new TokenSockets<>();
  private final Map<SockJSSocket, BridgeSocket> sockets = new HashMap<>();
  private final PresenceReports presence;

  Bridge(Vertx vertx, Principals principals, StreamAccess streams, LiveFanout live, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
    this.principals = principals;
    this.streams = streams;
    this.live = live;
    this.presence = new PresenceReports(vertx, sockets::values);
    principals.onRevoked(this::closeSocketsOf);
  }

  static SockJSBridgeOptions options(long replyTimeoutMs) {
    SockJSBridgeOptions options = new SockJSBridgeOptions();
    INBOUND.forEach(address -> options.addInboundPermitted(new PermittedOptions().setAddress(address)));
    return options
      .addOutboundPermitted(new PermittedOptions().setAddressRegex("chat\\.presence\\.[A-Za-z0-9_-]{1,128}"))
      .addOutboundPermitted(new PermittedOptions().setAddressRegex("bridge\\.live\\." + Streams.NAME_REGEX))
      .setMaxAddressLength(Streams.LIVE_PREFIX.length() + 32 + 1 + 128)
      // the bridge's own cap is never reached: this hook refuses first, answering each refused frame (429)
      .setMaxHandlersPerSocket(BridgeSocket.MAX_AWAITING + BridgeSocket.MAX_REGISTRATIONS + 16)
      .setReplyTimeout(replyTimeoutMs);
  }

  /** Closes every bridge connection (1001, going away) so that a stopping server waits for none; answers how many. */
  int closeAll() {
    List<SockJSSocket> open = new ArrayList<>(sockets.keySet());
    open.forEach(socket -> socket.close(1001, "server stopping"));
    return open.size();
  }

  /** The gateway's consumers of the bridge's inbound addresses and of chat's presence snapshots; starts the heartbeat. */
  List<MessageConsumer<Object>> consumers() {
    return List.of(
      // served on the node whose socket sent the frame: a browser's request never waits on another edge
      Bus.serveLocal(vertx.eventBus(), PUBLISH, this::publish),
      Bus.serveLocal(vertx.eventBus(), READ, this::read),
      Bus.serveLocal(vertx.eventBus(), ChatBus.PRESENCE_SNAPSHOT, this::presenceSnapshot),
      presence.start());
  }

  void handle(BridgeEvent event) {
    BridgeEventType type = event.type();
    JsonObject raw = event.getRawMessage();
    if (raw != null && raw.containsKey("headers") && !(raw.getValue("headers") instanceof JsonObject)) {
      // an array, a string, a number: as good as none (the bridge would throw reading it, a stack trace a frame)
      raw.remove("headers");
    }
    String address = raw == null ? null : raw.getString("address");
    if (type == BridgeEventType.PUBLISH && INBOUND.contains(address)) {
      event.complete(false);
    } else if (type == BridgeEventType.SEND && INBOUND.contains(address)) {
      if (admitRequest(event.socket(), raw)) {
        authenticate(event, raw).onComplete(done -> event.complete(true));
      } else {
        event.complete(false);
      }
    } else if (type == BridgeEventType.RECEIVE) {
      answered(event.socket(), address);
      if (raw.getMap().get("body") instanceof Buffer encoded) {
        // a page as storage encoded it (read): framed here around its bytes, which the bridge would write as base64
        event.socket().write(frame(raw, encoded));
        event.complete(false);
      } else {
        event.complete(true);
      }
    } else if ((type == BridgeEventType.SEND || type == BridgeEventType.PUBLISH) && address != null) {
      // the bridge answers access_denied: worth a line in the access trail, with whoever the token names
      String target = type.name().toLowerCase(Locale.ROOT) + " " + EventRules.printable(address);
      principals.resolve(BridgeSocket.authorization(raw)).otherwiseEmpty().onComplete(who -> AccessAudit.refused(vertx, who.result(),
        event.socket().remoteAddress(), target, "address not permitted", Failures.FORBIDDEN));
      event.complete(true);
    } else if (type == BridgeEventType.REGISTER && address != null && address.startsWith(FANOUT_PREFIX)) {
      event.complete(false); // only the bridge itself registers there
    } else if (type == BridgeEventType.REGISTER) {
      register(event, raw, address);
    } else if (type == BridgeEventType.REGISTERED) {
      registered(event.socket(), address);
      event.complete(true);
    } else if (type == BridgeEventType.UNREGISTER) {
      unregistered(event.socket(), raw, address);
      event.complete(true);
    } else if (type == BridgeEventType.SOCKET_CREATED) {
      sockets.put(event.socket(), new BridgeSocket());
      event.complete(true);
    } else if (type == BridgeEventType.SOCKET_CLOSED) {
      forget(event.socket());
      event.complete(true);
    } else {
      event.complete(true);
    }
  }

  /**
   * Counts a request that waits for an answer; past {@link BridgeSocket#MAX_AWAITING} on one socket it is
   * refused with 429 on its own reply address, so the client can match the refusal (the bridge's own cap
   * would log a line and answer without the address).
   */
  private boolean admitRequest(SockJSSocket socket, JsonObject raw) {
    String replyAddress = raw.getValue("replyAddress") instanceof String r && r.length() <= MAX_REPLY_ADDRESS ? r : null;
    BridgeSocket state = sockets.get(socket);
    long now = System.currentTimeMillis();
    if (replyAddress == null || state == null || state.await(replyAddress, now, now + timeoutMs)) {
      return true;
    }
    BridgeSocket.refuse(socket, replyAddress, Failures.of(Failures.RATE_LIMITED,
      "more than " + BridgeSocket.MAX_AWAITING + " requests waiting for answers on this connection: wait for some"));
    return false;
  }

  private void answered(SockJSSocket socket, String replyAddress) {
    BridgeSocket state = sockets.get(socket);
    if (state != null && replyAddress != null) {
      state.answered(replyAddress);
    }
  }

  /** Replaces the frame's headers by the principal its token names, or the reason it names none. */
  private Future<Void> authenticate(BridgeEvent event, JsonObject raw) {
    String authorization = BridgeSocket.authorization(raw);
    return principals.header(authorization)
      .map(principal -> {
        JsonObject headers = BridgeSocket.origin(event.socket(), raw);
        if (principal != null) {
          headers.put(Caller.PRINCIPAL_HEADER, principal); // the principal's JSON, encoded once a lookup
        }
        raw.put("headers", headers);
        return (Void) null;
      })
      .otherwise(failure -> {
        AccessAudit.refused(vertx, null, event.socket().remoteAddress(), "send " + raw.getString("address"), failure);
        raw.put("headers", BridgeSocket.origin(event.socket(), raw)
          .put(Caller.AUTH_ERROR_HEADER, Failures.code(failure) + " " + Failures.message(failure)));
        return null;
      });
  }

  private void register(BridgeEvent event, JsonObject raw, String address) {
    String room = ChatBus.ofPresenceAddress(address);
    String stream = room != null ? ChatBus.stream(room) : Streams.ofLiveAddress(address);
    if (stream == null) {
      event.complete(true); // neither a live nor a presence address: the bridge's own rules refuse it
      return;
    }
    String authorization = BridgeSocket.authorization(raw);
    BridgeSocket counted = sockets.get(event.socket());
    if (counted != null && !counted.mayRegister(address)) {
      BridgeSocket.refuse(event.socket(), address, Failures.of(Failures.RATE_LIMITED,
        "more than " + BridgeSocket.MAX_REGISTRATIONS + " registrations on this connection"));
      event.complete(false);
      return;
    }
    JsonObject[] who = new JsonObject[1];
    principals.resolve(authorization)
      .map(principal -> {
        who[0] = principal;
        streams.checkRead(principal, stream);
        return principal;
      })
      .compose(principal -> room == null ? Future.succeededFuture(principal) : member(principal, room))
      .onSuccess(principal -> {
        SockJSSocket socket = event.socket();
        BridgeSocket state = sockets.get(socket);
        if (state == null) {
          event.complete(false); // the socket closed while its token was checked
          return;
        }
        String token = Principals.token(authorization);
        if (token != null) {
          subscribers.add(token, socket);
          state.tokens.add(token);
        }
        if (room == null) {
          raw.put("address", FANOUT_PREFIX + stream);
          live.add(socket, stream).onComplete(done -> {
            if (done.failed()) {
              live.remove(socket, stream); // the stream's consumer could not register: the bridge refuses
            } else {
              state.registered(address);
            }
            event.complete(done.succeeded());
          });
          return;
        }
        if (principal != null && !state.presence.containsKey(room)) {
          // recorded before the hook completes: the bridge fires REGISTERED from inside complete()
          state.allowedPresence.put(room, principal.getString("name"));
        }
        state.registered(address);
        event.complete(true);
      })
      .onFailure(failure -> {
        AccessAudit.refused(vertx, who[0], event.socket().remoteAddress(), "register " + EventRules.printable(address), failure);
        BridgeSocket.refuse(event.socket(), address, failure);
        event.complete(false);
      });
  }

  /** A room's presence is for its members: chat says whether the room exists and the principal is one. */
  private Future<JsonObject> member(JsonObject principal, String room) {
    if (principal == null) {
      return Future.failedFuture(Failures.of(Failures.UNAUTHORIZED, "sign in to see who is in '" + room + "'"));
    }
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs);
    Caller.headers(principal).forEach(header -> options.addHeader(header.getKey(), (String) header.getValue()));
    return ChatBus.MEMBER.request(vertx.eventBus(), new ChatBus.RoomKey(room), options).map(ok -> principal);
  }

  /**
   * The bridge has registered the socket's consumer: only now may chat publish this room's picture to it,
   * or the first picture (the one a newcomer needs) could reach the node before the consumer does.
   */
  private void registered(SockJSSocket socket, String address) {
    String room = ChatBus.ofPresenceAddress(address);
    BridgeSocket state = sockets.get(socket);
    String user = room == null || state == null ? null : state.allowedPresence.remove(room);
    if (user != null && state.presence.putIfAbsent(room, user) == null) {
      presence.opened(state, user, room);
    }
    if (room != null && state != null && state.presence.containsKey(room)) {
      // the room's picture for this socket alone (the others have it): then the deltas its consumer receives
      snapshot(room).onSuccess(picture -> {
        if (sockets.get(socket) == state && state.presence.containsKey(room)) {
          BridgeSocket.deliver(socket, address, picture);
        }
      }).onFailure(failure -> BridgeSocket.refuse(socket, address, failure));
    }
  }

  /** A room's presence snapshot from this node's chat instance: the one whose deltas this node's sockets get. */
  private Future<JsonObject> snapshot(String room) {
    return ChatBus.PRESENCE.request(vertx.eventBus(), new ChatBus.RoomKey(room),
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(timeoutMs));
  }

  /** {@code chat.presence {room}}: the snapshot again, for a member whose deltas went missing (a gap, a new epoch). */
  private Future<JsonObject> presenceSnapshot(JsonObject body, MultiMap headers) {
    JsonObject principal = Caller.principal(headers);
    String room = EventRules.key(body, "room");
    return member(principal, room).compose(ok -> snapshot(room))
      .onFailure(failure -> AccessAudit.refused(vertx, principal, Caller.remote(headers),
        "send " + ChatBus.PRESENCE_SNAPSHOT + " " + room, failure));
  }

  private void unregistered(SockJSSocket socket, JsonObject raw, String address) {
    BridgeSocket registeredBy = sockets.get(socket);
    if (registeredBy != null) {
      registeredBy.unregistered(address);
    }
    String stream = Streams.ofLiveAddress(address);
    if (stream != null) {
      raw.put("address", FANOUT_PREFIX + stream);
      live.remove(socket, stream);
      return;
    }
    String room = ChatBus.ofPresenceAddress(address);
    BridgeSocket state = sockets.get(socket);
    if (room != null && state != null && state.presence.remove(room) != null) {
      presence.closed(state, room);
    }
  }

  /** A logout ends the live subscriptions its token made: their sockets close, and clients must log in again. */
  private void closeSocketsOf(String token) {
    subscribers.end(token).forEach(socket -> {
      forget(socket);
      socket.close(4401, "session ended");
    });
  }

  private void forget(SockJSSocket socket) {
    live.removeAll(socket);
    BridgeSocket state = sockets.remove(socket);
    if (state == null) {
      return;
    }
    subscribers.remove(socket, state.tokens);
    if (!state.presence.isEmpty()) {
      presence.closed(state, null);
    }
  }

  private Future<JsonObject> publish(JsonObject body, MultiMap headers) {
    JsonObject principal = Caller.principal(headers);
    String stream = stream(body);
    return streams.publish(principal, stream, List.of(body), PUBLISH_FIELDS).map(results -> results.first().toJson())
      .onFailure(failure -> AccessAudit.refused(vertx, principal, Caller.remote(headers),
        "send " + PUBLISH + " " + EventRules.printable(stream), failure));
  }

  /** A page, answered as storage encoded it: {@link #handle} frames it for the socket without encoding it again. */
  private Future<Buffer> read(JsonObject body, MultiMap headers) {
    JsonObject principal = Caller.principal(headers);
    String stream = stream(body);
    long from = EventRules.optionalLong(body, "from", 1, 0, Long.MAX_VALUE);
    int limit = (int) EventRules.optionalLong(body, "limit", StorageBus.DEFAULT_READ_LIMIT, 1, StorageBus.MAX_READ_LIMIT);
    return streams.read(principal, stream, from, limit).map(StorageBus.Page::json)
      .onFailure(failure -> AccessAudit.refused(vertx, principal, Caller.remote(headers),
        "send " + READ + " " + EventRules.printable(stream), failure));
  }

  /** The bridge's frame of a message whose body is JSON encoded already: the envelope's fields, then the body as it is. */
  static Buffer frame(JsonObject envelope, Buffer body) {
    Map<String, Object> fields = new LinkedHashMap<>(envelope.getMap());
    fields.remove("body");
    Buffer head = new JsonObject(fields).toBuffer();
    return Buffer.buffer(head.length() + body.length() + 8).appendBuffer(head, 0, head.length() - 1)
      .appendString(",\"body\":").appendBuffer(body).appendString("}");
  }

  private static String stream(JsonObject body) {
    return body.getValue("stream") instanceof String s ? s : null;
  }
}
