package io.hubbub.gateway;

import io.hubbub.bus.ChatBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * What this gateway tells chat of its sockets' presence registrations ({@link ChatBus}): each one opened or
 * closed as it happens, a heartbeat with their count every {@link ChatBus#GATEWAY_BEAT_MS} ms (chat asks for a
 * snapshot when its count differs, and drops the gateway when the beats stop), and the snapshot itself.
 */
final class PresenceReports {

  private static final Logger log = LoggerFactory.getLogger(PresenceReports.class);

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
    log.info("reporting presence [gateway: {}]", gateway);
    vertx.setPeriodic(ChatBus.GATEWAY_BEAT_MS, t -> ChatBus.GATEWAYS.publish(vertx.eventBus(), new ChatBus.GatewayBeat(gateway, count())));
    return ChatBus.SNAPSHOT.at(ChatBus.snapshotAddress(gateway)).serve(vertx.eventBus(), asked -> Future.succeededFuture(snapshot()));
  }

  /** A socket's registration for a room's presence is in place. */
  void opened(BridgeSocket socket, String user, String room) {
    ChatBus.SUBSCRIPTIONS.publish(vertx.eventBus(), ChatBus.Subscription.opened(gateway, socket.id, user, room));
  }

  /** A socket left a room's presence ({@code room} null: every room, it closed). */
  void closed(BridgeSocket socket, String room) {
    ChatBus.SUBSCRIPTIONS.publish(vertx.eventBus(), ChatBus.Subscription.closed(gateway, socket.id, room));
  }

  private int count() {
    return sockets.get().stream().mapToInt(s -> s.presence.size()).sum();
  }

  private ChatBus.Snapshot snapshot() {
    List<ChatBus.Held> subscriptions = new ArrayList<>();
    sockets.get().forEach(state -> state.presence.forEach((room, user) -> subscriptions.add(new ChatBus.Held(state.id, user, room))));
    return new ChatBus.Snapshot(gateway, subscriptions);
  }
}
