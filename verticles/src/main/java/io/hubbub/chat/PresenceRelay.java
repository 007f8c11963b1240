package io.hubbub.chat;

import io.hubbub.bus.Bus;
import io.hubbub.bus.ChatBus;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
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

  List<MessageConsumer<JsonObject>> consumers() {
    return List.of(
      vertx.eventBus().consumer(ChatBus.SUBSCRIPTIONS, this::subscription),
      vertx.eventBus().consumer(ChatBus.GATEWAYS, this::gatewayAlive),
      vertx.eventBus().consumer(ChatBus.TYPING_STATE, this::typingState));
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
  private void typingState(Message<JsonObject> message) {
    JsonObject body = message.body();
    String user = body.getString("user");
    String room = body.getString("room");
    if (user == null || room == null) {
      return;
    }
    boolean changed = body.getBoolean("typing", false)
      ? presence.typing(user, room, System.currentTimeMillis() + typingMs)
      : presence.stoppedTyping(user, room);
    if (changed) {
      publish(room);
    }
  }

  /** A gateway's heartbeat: note it, and when its count differs from ours (we missed reports, or just started), take its snapshot. */
  private void gatewayAlive(Message<JsonObject> message) {
    String gateway = message.body().getString("gateway");
    if (gateway == null) {
      return;
    }
    gatewaysSeen.put(gateway, System.currentTimeMillis());
    Integer count = message.body().getInteger("subscriptions");
    if (count != null && count != presence.count(gateway)) {
      Bus.request(vertx.eventBus(), ChatBus.snapshotAddress(gateway), new JsonObject(), timeoutMs)
        .onSuccess(snapshot -> presence.replace(gateway, snapshot.getJsonArray("subscriptions")).forEach(this::publish))
        .onFailure(failure -> log.debug("no presence snapshot [gateway: {}, error: {}]", gateway, failure.getMessage()));
    }
  }

  private void subscription(Message<JsonObject> message) {
    JsonObject body = message.body();
    String conn = body.getString("conn");
    String room = body.getString("room");
    if (conn == null) {
      return;
    }
    String gateway = body.getString("gateway", "");
    gatewaysSeen.putIfAbsent(gateway, System.currentTimeMillis());
    if ("open".equals(body.getString("op")) && room != null && body.getString("user") != null) {
      presence.open(gateway, conn, body.getString("user"), room);
      publish(room); // always: the new subscriber needs the current picture
    } else if ("close".equals(body.getString("op"))) {
      presence.close(conn, room).forEach(this::publish);
    }
  }

  private void publish(String room) {
    vertx.eventBus().publish(ChatBus.presenceAddress(room), presence.picture(room), LOCAL);
  }
}
