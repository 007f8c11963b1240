package io.hubbub.gateway;

import io.hubbub.bus.Streams;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Live delivery to this gateway's sockets: one event-bus consumer per stream (not one per socket), and
 * each event encoded once into the bridge's {@code rec} frame that every subscribed socket is written.
 *
 * <p>Slow consumers: each socket may have at most {@code maxQueuedBytes} of live frames written but not
 * yet handed to the network. Past that, live delivery to the socket pauses: the events it skips are not
 * queued anywhere, and each of its streams that skipped one gets an error frame (code 429) saying after
 * which seq it stopped. Once its writes drain to half the bound, delivery goes on, and each stream that
 * skipped events is told once more; the client reads what it missed ({@code hubbub.js} does). So a
 * socket that cannot keep up costs the server a bounded amount of memory, and never slows the others.
 *
 * <p>Used on the gateway verticle's event loop only.
 */
final class LiveFanout {

  /** What this gateway sends one socket. */
  private static final class Outbox {
    long queued;
    boolean paused;
    final Map<String, Long> lastSent = new HashMap<>();
    /** Streams that skipped events since the socket paused: told again when it resumes. */
    final Set<String> skipped = new LinkedHashSet<>();
  }

  static final long DEFAULT_QUEUE_BYTES = 1_048_576;

  private final Vertx vertx;
  private final long maxQueuedBytes;
  private final Map<String, MessageConsumer<JsonObject>> consumers = new HashMap<>();
  private final Map<String, Set<SockJSSocket>> subscribers = new HashMap<>();
  private final Map<SockJSSocket, Outbox> outboxes = new HashMap<>();
  private final Counter pauses;
  private final Counter skippedEvents;
  private long queuedPeak;

  LiveFanout(Vertx vertx, long maxQueuedBytes, MeterRegistry registry) {
    this.vertx = vertx;
    this.maxQueuedBytes = maxQueuedBytes;
    this.pauses = Counter.builder("hubbub.live.paused")
      .description("Times live delivery to a socket paused because it had too many bytes queued").register(registry);
    this.skippedEvents = Counter.builder("hubbub.live.skipped")
      .description("Live events not sent to a paused socket (it reads them)").register(registry);
    Gauge.builder("hubbub.live.queued.bytes", this, f -> f.outboxes.values().stream().mapToLong(o -> o.queued).sum())
      .description("Live frames written to sockets and not yet handed to the network").register(registry);
    Gauge.builder("hubbub.live.queued.peak.bytes", this, f -> f.queuedPeak)
      .description("The most one socket has had queued").register(registry);
  }

  /** The socket receives the stream's events from now on; completes once the stream's consumer is registered. */
  Future<Void> add(SockJSSocket socket, String stream) {
    subscribers.computeIfAbsent(stream, s -> new HashSet<>()).add(socket);
    outboxes.computeIfAbsent(socket, s -> new Outbox());
    MessageConsumer<JsonObject> consumer = consumers.get(stream);
    if (consumer == null) {
      consumer = vertx.eventBus().consumer(Streams.liveAddress(stream), message -> deliver(stream, message));
      consumers.put(stream, consumer);
    }
    return consumer.completion();
  }

  void remove(SockJSSocket socket, String stream) {
    Set<SockJSSocket> sockets = subscribers.get(stream);
    if (sockets != null && sockets.remove(socket) && sockets.isEmpty()) {
      subscribers.remove(stream);
      MessageConsumer<JsonObject> consumer = consumers.remove(stream);
      if (consumer != null) {
        consumer.unregister();
      }
    }
    Outbox outbox = outboxes.get(socket);
    if (outbox != null) {
      outbox.lastSent.remove(stream);
      outbox.skipped.remove(stream);
    }
  }

  void removeAll(SockJSSocket socket) {
    for (String stream : Set.copyOf(subscribers.keySet())) {
      remove(socket, stream);
    }
    outboxes.remove(socket);
  }

  private void deliver(String stream, Message<JsonObject> message) {
    Set<SockJSSocket> sockets = subscribers.get(stream);
    if (sockets == null || sockets.isEmpty()) {
      return;
    }
    long seq = message.body().getLong("seq", 0L);
    Buffer frame = new JsonObject().put("type", "rec").put("address", Streams.liveAddress(stream))
      .put("body", message.body()).toBuffer();
    int size = frame.length();
    for (SockJSSocket socket : sockets) {
      Outbox outbox = outboxes.get(socket);
      if (outbox == null) {
        continue;
      }
      if (!outbox.paused && outbox.queued + size > maxQueuedBytes && outbox.queued > 0) {
        outbox.paused = true;
        pauses.increment();
      }
      if (outbox.paused) {
        skippedEvents.increment();
        outbox.lastSent.putIfAbsent(stream, seq - 1);
        if (outbox.skipped.add(stream)) {
          tell(socket, stream, outbox, "this socket fell behind: live events of '" + stream + "' after seq "
            + outbox.lastSent.getOrDefault(stream, 0L) + " are not sent to it until it catches up; read them");
        }
        continue;
      }
      outbox.lastSent.put(stream, seq);
      outbox.queued += size;
      queuedPeak = Math.max(queuedPeak, outbox.queued);
      socket.write(frame).onComplete(done -> written(socket, outbox, size));
    }
  }

  private void written(SockJSSocket socket, Outbox outbox, int size) {
    outbox.queued -= size;
    if (outbox.paused && outbox.queued <= maxQueuedBytes / 2 && outboxes.get(socket) == outbox) {
      outbox.paused = false;
      for (String stream : outbox.skipped) {
        tell(socket, stream, outbox, "live delivery of '" + stream + "' goes on; events after seq "
          + outbox.lastSent.getOrDefault(stream, 0L) + " were skipped: read them");
      }
      outbox.skipped.clear();
    }
  }

  /** An error frame (429) for the stream's live address: where live delivery to this socket stopped. */
  private static void tell(SockJSSocket socket, String stream, Outbox outbox, String message) {
    JsonObject notice = new JsonObject()
      .put("type", "err")
      .put("address", Streams.liveAddress(stream))
      .put("failureCode", 429)
      .put("failureType", "RECIPIENT_FAILURE")
      .put("message", message)
      .put("lastSeq", outbox.lastSent.getOrDefault(stream, 0L));
    socket.write(notice.toBuffer());
  }
}
