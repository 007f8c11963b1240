package io.hubbub.gateway;

import io.hubbub.bus.AuditBus;
import io.hubbub.bus.AuthBus;
import io.hubbub.bus.ChatBus;
import io.hubbub.bus.EventRules;
import io.hubbub.bus.Failures;
import io.hubbub.bus.Readings;
import io.hubbub.bus.SensorsBus;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageClient;
import io.hubbub.bus.Streams;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Publishing and reading streams on behalf of a client, the same for HTTP and the bridge:
 * namespace rules first, then the events' shape, then storage.
 */
final class StreamAccess {

  private static final Logger log = LoggerFactory.getLogger(StreamAccess.class);

  private final StorageClient storage;
  private final Vertx vertx;
  private final Namespaces namespaces;
  private final int maxDataBytes;
  private final int maxBatch;
  private final long timeoutMs;
  private final int maxReadsInFlight;
  private final Map<String, Integer> readsInFlight = new HashMap<>();

  StreamAccess(Vertx vertx, Namespaces namespaces, int maxDataBytes, int maxBatch, int maxReadsInFlight, int partitions,
               long timeoutMs) {
    this.maxReadsInFlight = maxReadsInFlight;
    this.storage = new StorageClient(vertx, partitions, timeoutMs);
    this.vertx = vertx;
    this.namespaces = namespaces;
    this.maxDataBytes = maxDataBytes;
    this.maxBatch = maxBatch;
    this.timeoutMs = timeoutMs;
  }

  /** Appends events as {@code principal}; {@code extraFields} are the entry point's own fields in each event. */
  Future<StorageBus.Appended> publish(JsonObject principal, String stream, List<?> events, Set<String> extraFields) {
    return guarded(() -> {
      if (namespaces.publishedByMembers(stream)) {
        return publishToRoom(principal, stream, events, extraFields);
      }
      namespaces.checkPublish(principal, stream);
      if (events.isEmpty()) {
        throw Failures.badRequest("no events to publish");
      }
      if (events.size() > maxBatch) {
        throw Failures.of(Failures.TOO_LARGE, events.size() + " events in one request, more than " + maxBatch);
      }
      String by = principal == null ? "anonymous" : principal.getString("name");
      boolean readings = Streams.namespace(stream).equals(SensorsBus.NAMESPACE);
      long now = System.currentTimeMillis();
      StorageBus.Checking checking = new StorageBus.Checking(stream, by, maxDataBytes, events.size());
      for (int i = 0; i < events.size(); i++) {
        String where = events.size() == 1 ? "event" : "event [" + i + "]";
        JsonObject event = checking.add(events.get(i), extraFields, where);
        if (readings && SensorsBus.READING.equals(event.getString("type"))) {
          Readings.checkEventData(event.getJsonObject("data"), where, now);
        }
      }
      // checked copies, handed over: storage on this node neither copies nor checks them again
      return storage.handOver(StorageBus.APPEND, checking.append());
    });
  }

  /**
   * A device's readings, one or an array (checked by {@link Readings#events}: all or nothing, 400 names the first bad
   * one), appended as {@code READING} events to its own stream in one append; the caller has checked that the device
   * is the principal. The gateway appends them itself, as any publish to {@code sensor.<deviceId>}: the sensors
   * verticle folds them from the stream, and readings are taken even while no sensors instance runs.
   */
  Future<StorageBus.Appended> ingest(String device, Object readings) {
    return guarded(() -> {
      JsonArray events = Readings.events(readings, maxBatch, System.currentTimeMillis());
      String stream = SensorsBus.stream(device);
      JsonArray append = new JsonArray(new ArrayList<>(events.size()));
      events.forEach(e -> append.add(StorageBus.event(stream, (JsonObject) e, device)));
      return storage.handOver(StorageBus.APPEND, StorageBus.Append.of(append));
    });
  }

  /** A message to a chat room: the chat verticle checks membership, text and rate, as for chat.send. */
  private Future<StorageBus.Appended> publishToRoom(JsonObject principal, String stream, List<?> events,
                                                    Set<String> extraFields) {
    if (principal == null) {
      throw Failures.of(Failures.UNAUTHORIZED, "authentication required to publish to '" + stream + "'");
    }
    if (!AuthBus.KIND_USER.equals(principal.getString("kind"))) {
      throw Failures.of(Failures.FORBIDDEN, "only users may post to chat rooms");
    }
    if (events.size() != 1) {
      throw Failures.badRequest("post chat messages one at a time");
    }
    JsonObject event = EventRules.checkEvent(events.get(0), maxDataBytes, extraFields, "event");
    ChatBus.Post post = new ChatBus.Post(Streams.key(stream), event, principal.getString("name"));
    return ChatBus.PUBLISH.request(vertx.eventBus(), post, timeoutMs)
      .map(result -> new StorageBus.Appended(List.of(StorageBus.Ack.fromJson(result))));
  }

  /**
   * A page of a stream. Each principal has at most {@code readsInFlight} reads waiting on storage at once
   * (more: 429), so one client's parallel large reads cannot fill the heap or the store's time for others.
   */
  Future<StorageBus.Page> read(JsonObject principal, String stream, long from, int limit) {
    return guarded(() -> {
      namespaces.checkRead(principal, stream);
      String reader = principal == null ? "" : Principals.key(principal);
      int inFlight = readsInFlight.merge(reader, 1, Integer::sum);
      if (inFlight > maxReadsInFlight) {
        release(reader);
        throw Failures.of(Failures.RATE_LIMITED, "more than " + maxReadsInFlight
          + " reads in flight: wait for an answer before the next read");
      }
      return storage.request(StorageBus.READ, new StorageBus.Read(stream, from, limit)).andThen(done -> release(reader));
    });
  }

  private void release(String reader) {
    readsInFlight.computeIfPresent(reader, (k, n) -> n == 1 ? null : n - 1);
  }

  Future<JsonObject> meta(JsonObject principal, String stream) {
    return guarded(() -> {
      namespaces.checkRead(principal, stream);
      return storage.request(StorageBus.META, new StorageBus.StreamKey(stream)).map(StorageBus.StreamInfo::toJson);
    });
  }

  /**
   * Drops a stream's history below {@code before} (admins only; the stream's namespace must be declared), and
   * records it on {@code audit.streams}: once the events are gone, a trail that cannot be written is logged, not
   * answered as a failure.
   */
  Future<JsonObject> truncate(JsonObject principal, String stream, Supplier<Object> body) {
    return guarded(() -> {
      JsonObject admin = HttpApi.admin(principal, "only admins truncate streams");
      namespaces.checkRead(admin, stream);
      if (!(body.get() instanceof JsonObject request)) {
        throw Failures.badRequest("expected a JSON object {before}");
      }
      StorageBus.Truncate truncate = StorageBus.Truncate.fromJson(request.copy().put("stream", stream));
      return storage.request(StorageBus.TRUNCATE, truncate).map(info -> {
        AuditBus.tell(vertx.eventBus(), new AuditBus.Change("streams", "UPDATED", new JsonObject().put("stream", stream)
          .put("truncatedBefore", truncate.before()).put("firstSeq", info.firstSeq()), admin.getString("name")), timeoutMs)
          .onFailure(failure -> log.warn("truncation not audited [stream: {}, error: {}]", stream, failure.getMessage()));
        return info.toJson();
      });
    });
  }

  /** Checks read access without reading: for live subscriptions. */
  void checkRead(JsonObject principal, String stream) {
    namespaces.checkRead(principal, stream);
  }

  private static <T> Future<T> guarded(Supplier<Future<T>> action) {
    try {
      return action.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
