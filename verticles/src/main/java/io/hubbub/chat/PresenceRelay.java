package io.hubbub.chat;

import io.hubbub.bus.Bus;
import io.hubbub.bus.ChatBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Keeps this chat instance's {@link Presence} in step with what every gateway reports (subscriptions,
 * heartbeats, snapshots) and with typing as any chat instance saw it, and publishes each room's changes on
 * {@code chat.presence.<room>} to this node's bridge connections only: every node's chat instance serves its own
 * node's, so each connection gets one copy. A room sends at most one delta per {@code chat.presence.coalesceMs}:
 * the first change after a quiet spell at once, later ones gathered until the window ends (a join and a leave in
 * one window cancel out); a socket that subscribes gets the room's
 * snapshot from its own gateway, which asks this instance ({@link ChatBus#PRESENCE}, local only), so the snapshot
 * and the deltas it reads after it come from the same versions. {@code epoch} names this instance's versions: a
 * client that sees another epoch (this node's chat restarted) takes a new snapshot.
 */
final class PresenceRelay {

  private static final Logger log = LoggerFactory.getLogger(PresenceRelay.class);
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final Vertx vertx;
  private final long typingMs;
  private final long timeoutMs;
  private final int maxListed;
  private final long coalesceMs;
  private final String epoch = UUID.randomUUID().toString().substring(0, 6);
  private final Presence presence = new Presence();
  /** Gateways by when they last reported: a silent one's presence is dropped. */
  private final Map<String, Long> gatewaysSeen = new HashMap<>();
  /** Gateways whose last snapshot request failed (logged once until one succeeds). */
  private final Set<String> snapshotFailing = new HashSet<>();
  /** Rooms whose next delta is scheduled. */
  private final Set<String> scheduled = new HashSet<>();
  /** When each room's last delta went out (rooms quiet for longer than a window are forgotten by the sweep). */
  private final Map<String, Long> lastSent = new HashMap<>();

  PresenceRelay(Vertx vertx, long typingMs, long timeoutMs, int maxListed, long coalesceMs) {
    this.vertx = vertx;
    this.typingMs = typingMs;
    this.timeoutMs = timeoutMs;
    this.maxListed = maxListed;
    this.coalesceMs = coalesceMs;
  }

  List<MessageConsumer<Object>> consumers() {
    return List.of(
      ChatBus.SUBSCRIPTIONS.consumer(vertx.eventBus(), this::subscription),
      ChatBus.GATEWAYS.consumer(vertx.eventBus(), this::gatewayAlive),
      ChatBus.TYPING_STATE.consumer(vertx.eventBus(), this::typingState),
      // this node's gateways only: the snapshot must come from the instance whose deltas their sockets get
      Bus.serveLocal(vertx.eventBus(), ChatBus.PRESENCE.address(),
        ChatBus.PRESENCE.rawHandler((key, headers) -> Future.succeededFuture(snapshot(key.room())))));
  }

  boolean isTyping(String user, String room) {
    return presence.isTyping(user, room);
  }

  /** Whether a user's typing mark has more than half of its time left (a repeat would only extend it). */
  boolean typingFresh(String user, String room, long now) {
    return presence.typingUntil(user, room) - now > typingMs / 2;
  }

  /** Ends expired typing and forgets gateways that went silent (their node died). */
  void sweep(long now) {
    changed(presence.expireTyping(now));
    lastSent.values().removeIf(sent -> sent < now - coalesceMs);
    gatewaysSeen.entrySet().removeIf(seen -> {
      if (seen.getValue() > now - ChatBus.GATEWAY_SILENCE_MS) {
        return false;
      }
      log.info("gateway silent, dropping its presence [gateway: {}]", seen.getKey());
      snapshotFailing.remove(seen.getKey());
      changed(presence.drop(seen.getKey()));
      return true;
    });
  }

  /** A room's picture as its last delta left it, for one socket that subscribed (or must resync). */
  JsonObject snapshot(String room) {
    return presence.snapshot(room, maxListed).put("epoch", epoch);
  }

  /** Typing, as any chat instance saw it: every instance keeps the same picture. */
  private void typingState(ChatBus.TypingState state) {
    boolean changed = state.typing()
      ? presence.typing(state.user(), state.room(), System.currentTimeMillis() + typingMs)
      : presence.stoppedTyping(state.user(), state.room());
    if (changed) {
      schedule(state.room());
    }
  }

  /** A gateway's heartbeat: note it, and when its count differs from ours (we missed reports, or just started), take its snapshot. */
  private void gatewayAlive(ChatBus.GatewayBeat beat) {
    String gateway = beat.gateway();
    if (gatewaysSeen.put(gateway, System.currentTimeMillis()) == null) {
      log.info("following a gateway's presence [gateway: {}]", gateway);
    }
    if (beat.subscriptions() != presence.count(gateway)) {
      ChatBus.SNAPSHOT.at(ChatBus.snapshotAddress(gateway)).request(vertx.eventBus(), gateway, timeoutMs)
        .onSuccess(snapshot -> {
          if (snapshotFailing.remove(gateway)) {
            log.info("presence snapshot received again [gateway: {}]", gateway);
          }
          changed(presence.replace(gateway, snapshot.subscriptions()));
        })
        .onFailure(failure -> {
          // once per streak: a gateway beats every couple of seconds
          if (snapshotFailing.add(gateway)) {
            log.warn("no presence snapshot from a gateway, asking again at its next heartbeat [gateway: {}, error: {}]",
              gateway, failure.getMessage());
          }
        });
    }
  }

  private void subscription(ChatBus.Subscription report) {
    if (gatewaysSeen.putIfAbsent(report.gateway(), System.currentTimeMillis()) == null) {
      log.info("following a gateway's presence [gateway: {}]", report.gateway());
    }
    if (report.open()) {
      if (presence.open(report.gateway(), report.conn(), report.user(), report.room())) {
        schedule(report.room());
      }
    } else {
      changed(presence.close(report.conn(), report.room()));
    }
  }

  private void changed(Set<String> rooms) {
    rooms.forEach(this::schedule);
  }

  /**
   * At most one delta per room per {@code coalesceMs}: a change in a room that sent none for that long goes out at
   * the end of this event-loop turn (with whatever else the turn changed); later ones wait for the window's end,
   * gathered into one delta.
   */
  private void schedule(String room) {
    if (!scheduled.add(room)) {
      return;
    }
    long wait = lastSent.getOrDefault(room, 0L) + coalesceMs - System.currentTimeMillis();
    if (wait <= 0) {
      vertx.runOnContext(v -> publishDelta(room));
    } else {
      vertx.setTimer(wait, t -> publishDelta(room));
    }
  }

  private void publishDelta(String room) {
    scheduled.remove(room);
    JsonObject delta = presence.delta(room, maxListed);
    if (delta != null) {
      lastSent.put(room, System.currentTimeMillis());
      vertx.eventBus().publish(ChatBus.presenceAddress(room), delta.put("epoch", epoch), LOCAL);
    }
  }
}
