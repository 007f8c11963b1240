package io.hubbub.chat;

import io.hubbub.bus.ChatBus;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps this chat instance's {@link Presence} in step with what every gateway reports (subscriptions,
 * heartbeats, snapshots) and with typing as any chat instance saw it, and publishes each change of a
 * room's picture on {@code chat.presence.<room>} to this node's bridge connections only: every node's
 * chat instance serves its own node's, so each connection gets one copy.
 */
final class PresenceRelay {

  private static final Logger log = LoggerFactory.getLogger(PresenceRelay.class);
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final Vertx vertx;
  private final long typingMs;
  private final long timeoutMs;
  private final Presence presence = new Presence();
  /** Gateways by when they last reported: a silent one's presence is dropped. */
  private final Map<String, Long> gatewaysSeen = new HashMap<>();

  PresenceRelay(Vertx vertx, long typingMs, long timeoutMs) {
    this.vertx = vertx;
    this.typingMs = typingMs;
    this.timeoutMs = timeoutMs;
  }

  List<MessageConsumer<Object>> consumers() {
    return List.of(
      ChatBus.SUBSCRIPTIONS.consumer(vertx.eventBus(), this::subscription),
      ChatBus.GATEWAYS.consumer(vertx.eventBus(), this::gatewayAlive),
      ChatBus.TYPING_STATE.consumer(vertx.eventBus(), this::typingState));
  }

  boolean isTyping(String user, String room) {
    return presence.isTyping(user, room);
  }

  /** Ends expired typing and forgets gateways that went silent (their node died). */
  void sweep(long now) {
    presence.expireTyping(now).forEach(this::publish);
    gatewaysSeen.entrySet().removeIf(seen -> {
      if (seen.getValue() > now - ChatBus.GATEWAY_SILENCE_MS) {
        return false;
      }
      log.info("gateway silent, dropping its presence [gateway: {}]", seen.getKey());
      presence.drop(seen.getKey()).forEach(this::publish);
      return true;
    });
  }

  /** Typing, as any chat instance saw it: every instance keeps the same picture. */
  private void typingState(ChatBus.TypingState state) {
    boolean changed = state.typing()
      ? presence.typing(state.user(), state.room(), System.currentTimeMillis() + typingMs)
      : presence.stoppedTyping(state.user(), state.room());
    if (changed) {
      publish(state.room());
    }
  }

  /** A gateway's heartbeat: note it, and when its count differs from ours (we missed reports, or just started), take its snapshot. */
  private void gatewayAlive(ChatBus.GatewayBeat beat) {
    String gateway = beat.gateway();
    gatewaysSeen.put(gateway, System.currentTimeMillis());
    if (beat.subscriptions() != presence.count(gateway)) {
      ChatBus.SNAPSHOT.at(ChatBus.snapshotAddress(gateway)).request(vertx.eventBus(), gateway, timeoutMs)
        .onSuccess(snapshot -> presence.replace(gateway, snapshot.subscriptions()).forEach(this::publish))
        .onFailure(failure -> log.debug("no presence snapshot [gateway: {}, error: {}]", gateway, failure.getMessage()));
    }
  }

  private void subscription(ChatBus.Subscription report) {
    gatewaysSeen.putIfAbsent(report.gateway(), System.currentTimeMillis());
    if (report.open()) {
      presence.open(report.gateway(), report.conn(), report.user(), report.room());
      publish(report.room()); // always: the new subscriber needs the current picture
    } else {
      presence.close(report.conn(), report.room()).forEach(this::publish);
    }
  }

  private void publish(String room) {
    vertx.eventBus().publish(ChatBus.presenceAddress(room), presence.picture(room), LOCAL);
  }
}
