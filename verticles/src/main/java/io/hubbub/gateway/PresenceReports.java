package io.hubbub.gateway;

import io.hubbub.bus.Bus;
import io.hubbub.bus.ChatBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * What this gateway tells chat of its sockets' presence registrations ({@link ChatBus}): each one opened or
 * closed as it happens, a heartbeat with their count every {@link ChatBus#GATEWAY_BEAT_MS} ms (chat asks for a
 * snapshot when its count differs, and drops the gateway when the beats stop), and the snapshot itself.
 */
final class PresenceReports {

  /** This gateway's id in the reports. */
  private final String gateway = UUID.randomUUID().toString();
  private final Vertx vertx;
  private final Supplier<Collection<BridgeSocket>> sockets;

  PresenceReports(Vertx vertx, Supplier<Collection<BridgeSocket>> sockets) {
    this.vertx = vertx;
    this.sockets = sockets;
  }

  /** Starts the heartbeat; the consumer that answers chat's snapshot requests. */
  MessageConsumer<Object> start() {
    vertx.setPeriodic(ChatBus.GATEWAY_BEAT_MS, t -> vertx.eventBus().publish(ChatBus.GATEWAYS,
      new JsonObject().put("gateway", gateway).put("subscriptions", count())));
    return Bus.serve(vertx.eventBus(), ChatBus.snapshotAddress(gateway), body -> Future.succeededFuture(snapshot()));
  }

  /** A socket's registration for a room's presence is in place. */
  void opened(BridgeSocket socket, String user, String room) {
    report("open", socket, user, room);
  }

  /** A socket left a room's presence ({@code room} null: every room, it closed). */
  void closed(BridgeSocket socket, String room) {
    report("close", socket, null, room);
  }

  private void report(String op, BridgeSocket socket, String user, String room) {
    vertx.eventBus().publish(ChatBus.SUBSCRIPTIONS, ChatBus.subscription(op, gateway, socket.id, user, room));
  }

  private int count() {
    return sockets.get().stream().mapToInt(s -> s.presence.size()).sum();
  }

  private JsonObject snapshot() {
    JsonArray subscriptions = new JsonArray();
    sockets.get().forEach(state -> state.presence.forEach((room, user) ->
      subscriptions.add(new JsonObject().put("conn", state.id).put("user", user).put("room", room))));
    return new JsonObject().put("gateway", gateway).put("subscriptions", subscriptions);
  }
}
