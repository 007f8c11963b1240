package io.hubbub.gateway;

import io.hubbub.Node;
import io.hubbub.bus.Failures;
import io.hubbub.bus.Streams;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
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
 * <p>Sockets of the raw WebSocket transport are written the event's whole WebSocket frame, built once
 * ({@link RawFrames}); the others through their {@link SockJSSocket}.
 *
 * <p>Used on the gateway verticle's event loop only.
 */
final class LiveFanout {

  /** What this gateway sends one socket. */
  private static final class Outbox {
    final SockJSSocket socket;
    /** Where the event's shared frame is written; null: through the socket. */
    final RawFrames.Lane lane;
    final Backlog backlog;
    boolean closed;
    final Set<String> streams = new HashSet<>();

    Outbox(SockJSSocket socket, long maxQueuedBytes) {
      this.socket = socket;
      this.lane = RawFrames.lane(socket);
      this.backlog = new Backlog(maxQueuedBytes);
    }
  }

  /** One stream's subscribers here, and the seq of its last event (what every socket not paused was sent). */
  private static final class Subscribers {
    final MessageConsumer<Object> consumer;
    final Set<Outbox> outboxes = new LinkedHashSet<>();
    long lastSeq;

    Subscribers(MessageConsumer<Object> consumer) {
      this.consumer = consumer;
    }
  }

  private final Vertx vertx;
  private final long maxQueuedBytes;
  /** Vert.x splits a message longer than its WebSocket frame size: such frames go through the socket. */
  private final long maxFrameBytes;
  private final Map<String, Subscribers> streams = new HashMap<>();
  private final Map<SockJSSocket, Outbox> outboxes = new HashMap<>();
  private final Counter pauses;
  private final Counter skippedEvents;
  /** Read by the meters from other threads: plain fields written on this loop only. */
  private long queuedTotal;
  private long queuedPeak;

  LiveFanout(Vertx vertx, long maxQueuedBytes, long maxFrameBytes, MeterRegistry registry) {
    this.vertx = vertx;
    this.maxQueuedBytes = maxQueuedBytes;
    this.maxFrameBytes = maxFrameBytes;
    this.pauses = Counter.builder("hubbub.live.paused")
      .description("Times live delivery to a socket paused because it had too many bytes queued").register(registry);
    this.skippedEvents = Counter.builder("hubbub.live.skipped")
      .description("Live events not sent to a paused socket (it reads them)").register(registry);
    String instance = Node.meterInstance("gateway"); // one series per gateway instance
    Gauge.builder("hubbub.live.queued.bytes", this, f -> f.queuedTotal).tag("verticle", instance)
      .description("Live frames written to sockets and not yet handed to the network").register(registry);
    Gauge.builder("hubbub.live.queued.peak.bytes", this, f -> f.queuedPeak).tag("verticle", instance)
      .description("The most one socket has had queued").register(registry);
  }

  /** The socket receives the stream's events from now on; completes once the stream's consumer is registered. */
  Future<Void> add(SockJSSocket socket, String stream) {
    Subscribers subscribers = streams.computeIfAbsent(stream, s -> new Subscribers(
      vertx.eventBus().consumer(Streams.liveAddress(s),
        message -> Streams.eachLive(message.body(), event -> deliver(s, event)))));
    Outbox outbox = outboxes.computeIfAbsent(socket, sock -> new Outbox(sock, maxQueuedBytes));
    outbox.streams.add(stream);
    subscribers.outboxes.add(outbox);
    return subscribers.consumer.completion();
  }

  void remove(SockJSSocket socket, String stream) {
    Outbox outbox = outboxes.get(socket);
    Subscribers subscribers = streams.get(stream);
    if (outbox == null || subscribers == null) {
      return;
    }
    outbox.streams.remove(stream);
    outbox.backlog.forget(stream);
    if (subscribers.outboxes.remove(outbox) && subscribers.outboxes.isEmpty()) {
      streams.remove(stream);
      subscribers.consumer.unregister();
    }
  }

  void removeAll(SockJSSocket socket) {
    Outbox outbox = outboxes.get(socket);
    if (outbox == null) {
      return;
    }
    for (String stream : Set.copyOf(outbox.streams)) {
      remove(socket, stream);
    }
    outboxes.remove(socket);
    outbox.closed = true;
  }

  private void deliver(String stream, JsonObject event) {
    Subscribers subscribers = streams.get(stream);
    if (subscribers == null) {
      return;
    }
    long previous = subscribers.lastSeq;
    long seq = event.getLong("seq", 0L);
    subscribers.lastSeq = seq;
    Buffer frame = new JsonObject().put("type", "rec").put("address", Streams.liveAddress(stream))
      .put("body", event).toBuffer();
    int size = frame.length();
    ByteBuf shared = null; // the whole WebSocket frame, built for the first socket that takes it
    try {
      for (Outbox outbox : subscribers.outboxes) {
        RawFrames.Lane lane = size <= maxFrameBytes ? outbox.lane : null;
        if (lane != null && !lane.open()) {
          continue; // closing: its last frame is written, the bridge forgets it when it closes
        }
        if (admit(outbox, stream, previous, seq, size)) {
          queuedTotal += size;
          queuedPeak = Math.max(queuedPeak, outbox.backlog.queued());
          if (lane == null) {
            outbox.socket.write(frame).onComplete(done -> written(outbox, size));
          } else {
            if (shared == null) {
              shared = RawFrames.frame(lane.alloc(), frame);
            }
            lane.write(shared, done -> written(outbox, size));
          }
        }
      }
    } finally {
      if (shared != null) {
        shared.release(); // each socket's write holds its own view until written
      }
    }
  }

  /** Whether the socket is sent this event; if not, it is told where its live delivery stopped (once). */
  private boolean admit(Outbox outbox, String stream, long previous, long seq, int size) {
    Backlog.Admit admit = outbox.backlog.admit(size);
    if (admit == Backlog.Admit.PAUSED) {
      pauses.increment();
    }
    if (admit == Backlog.Admit.SEND) {
      return true;
    }
    skippedEvents.increment();
    long sent = outbox.backlog.skip(stream, previous, seq);
    if (sent >= 0) {
      tell(outbox.socket, stream, sent, "this socket fell behind: live events of '" + stream + "' after seq "
        + sent + " are not sent to it until it catches up; read them");
    }
    return false;
  }

  private void written(Outbox outbox, int size) {
    queuedTotal -= size;
    Map<String, Long> resumed = outbox.backlog.written(size);
    if (!outbox.closed) {
      resumed.forEach((stream, sent) -> tell(outbox.socket, stream, sent, "live delivery of '" + stream
        + "' goes on; events after seq " + sent + " were skipped: read them"));
    }
  }

  /** An error frame (429) for the stream's live address: where live delivery to this socket stopped. */
  private static void tell(SockJSSocket socket, String stream, long lastSeq, String message) {
    socket.write(BridgeSocket.errorFrame(Streams.liveAddress(stream), Failures.RATE_LIMITED, message).put("lastSeq", lastSeq).toBuffer());
  }
}
