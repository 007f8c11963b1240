package io.hubbub.gateway;

import io.hubbub.bus.Caller;
import io.hubbub.bus.Failures;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * What the bridge knows of one socket: its id for chat, the tokens its registrations used, its presence
 * rooms (→ user) and those allowed but not registered yet (the bridge registers after the hook), and what it
 * has open against the bounds of one connection: sends awaiting answers and registrations.
 */
final class BridgeSocket {

  /** Requests one socket may have waiting for their answers. */
  static final int MAX_AWAITING = 500;
  /** Live and presence registrations one socket may hold. */
  static final int MAX_REGISTRATIONS = 500;

  final String id = UUID.randomUUID().toString();
  final Set<String> tokens = new HashSet<>();
  final Map<String, String> presence = new HashMap<>();
  final Map<String, String> allowedPresence = new HashMap<>();
  /** Requests sent and not answered yet: reply address → when the bridge gives up waiting. */
  private final Map<String, Long> awaiting = new HashMap<>();
  /** The client's live and presence addresses the bridge has admitted. */
  private final Set<String> registered = new HashSet<>();

  /**
   * Counts a request that waits for its answer until {@code until}; false when {@link #MAX_AWAITING} are
   * waiting. A failed answer never passes the bridge's hook, so entries also end when the bridge gives up.
   */
  boolean await(String replyAddress, long now, long until) {
    if (awaiting.size() >= MAX_AWAITING) {
      awaiting.values().removeIf(end -> end <= now);
    }
    if (awaiting.size() >= MAX_AWAITING) {
      return false;
    }
    awaiting.put(replyAddress, until);
    return true;
  }

  void answered(String replyAddress) {
    awaiting.remove(replyAddress);
  }

  /** Whether the socket may hold one more registration (the same address again is no more). */
  boolean mayRegister(String address) {
    return registered.size() < MAX_REGISTRATIONS || registered.contains(address);
  }

  void registered(String address) {
    registered.add(address);
  }

  void unregistered(String address) {
    registered.remove(address);
  }

  /** A message for {@code address} to this socket alone, in the frame the bridge delivers its consumers' messages in. */
  static void deliver(SockJSSocket socket, String address, JsonObject body) {
    socket.write(new JsonObject().put("type", "rec").put("address", address).put("body", body).toBuffer());
  }

  /** The bridge's standard error frame for {@code address}, with the failure's protocol code and message. */
  static void refuse(SockJSSocket socket, String address, Throwable failure) {
    socket.write(errorFrame(address, Failures.code(failure), Failures.message(failure)).toBuffer());
  }

  /** The bridge's error frame, as SockJS clients ({@code vertx-eventbus.js}, hubbub.js) read it. */
  static JsonObject errorFrame(String address, int code, String message) {
    return new JsonObject()
      .put("type", "err")
      .put("address", address)
      .put("failureCode", code)
      .put("failureType", "RECIPIENT_FAILURE")
      .put("message", message);
  }

  /** Where a frame came from and what it called, for the access trail of whoever refuses it. */
  static JsonObject origin(SockJSSocket socket, JsonObject raw) {
    return new JsonObject()
      .put(Caller.REMOTE_HEADER, socket.remoteAddress() == null ? "" : socket.remoteAddress().hostAddress())
      .put(Caller.TARGET_HEADER, "send " + raw.getString("address"));
  }

  /** The {@code authorization} header a frame carries, or null. */
  static String authorization(JsonObject raw) {
    Object headers = raw.getValue("headers");
    if (headers instanceof JsonObject h) {
      Object value = h.containsKey("authorization") ? h.getValue("authorization") : h.getValue("Authorization");
      return value instanceof String s ? s : null;
    }
    return null;
  }
}
