package io.hubbub.storage;

import io.hubbub.bus.Failures;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Appends with group commit. One write is in flight at a time; whatever arrives meanwhile waits in
 * the queue and goes out as the next single ordered bulk write. Seqs are assigned here, when a batch
 * is formed, from the last durable seq of each stream; a request is acknowledged only after its
 * batch is on disk, and {@code announce} (which publishes live) runs only then.
 *
 * <p>Runs on one event loop (the storage verticle's): no locking. A failed write forgets the seqs
 * of its streams, which are read again from the store next time; the unique key of each event
 * ({@code <stream>|<seq>}) fences anything written twice: a write that collides means another
 * instance wrote the stream, and its partition is given up ({@code onFenced}).
 */
final class GroupCommit {

  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
  private static final DateTimeFormatter TS =
    DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private record Pending(JsonArray events, Promise<JsonArray> promise) {
  }

  private final EventLog store;
  private final SeqCache seqs;
  private final int maxBatchEvents;
  private final Consumer<List<JsonObject>> announce;
  private final Predicate<String> writable;
  private final Consumer<Set<String>> onFenced;
  private final Counter appended;
  private final DistributionSummary batchSizes;
  private final Timer writeTimes;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private boolean inFlight;
  private Promise<Void> idle;
  private Promise<Void> current;

  /**
   * @param announce publishes events live: those just stored, and stored ones a retried publish found that this
   *                 instance did not announce itself (their writer may have died between storing and announcing)
   * @param writable whether this instance may still write a stream (owns its partition); checked when a batch is formed
   * @param onFenced the streams of a write that collided with stored keys: another writer took them over
   */
  GroupCommit(EventLog store, SeqCache seqs, int maxBatchEvents, Consumer<List<JsonObject>> announce,
              Predicate<String> writable, Consumer<Set<String>> onFenced, MeterRegistry registry) {
    this.store = store;
    this.seqs = seqs;
    this.maxBatchEvents = maxBatchEvents;
    this.announce = announce;
    this.appended = Counter.builder("hubbub.appends").description("Events durably appended").register(registry);
    this.writable = writable;
    this.onFenced = onFenced;
    this.batchSizes = DistributionSummary.builder("hubbub.append.batch.events")
      .description("Events per group-committed bulk write").register(registry);
    this.writeTimes = Timer.builder("hubbub.append.write")
      .description("Time of one group-committed bulk write, until durable").register(registry);
  }

  /** Queues checked events ({@code {stream, type, data, by, id?, expectedSeq?}}); completes with their results. */
  Future<JsonArray> submit(JsonArray events) {
    Promise<JsonArray> promise = Promise.promise();
    queue.add(new Pending(events, promise));
    drain();
    return promise.future();
  }

  /** Completes when the write in flight (if any) is done: what a partition handed over waits for. */
  Future<Void> whenWritten() {
    return current == null ? Future.succeededFuture() : current.future();
  }

  /** Completes when nothing is queued or in flight: for a graceful stop. */
  Future<Void> whenIdle() {
    if (!inFlight && queue.isEmpty()) {
      return Future.succeededFuture();
    }
    if (idle == null) {
      idle = Promise.promise();
    }
    return idle.future();
  }

  private void drain() {
    if (inFlight) {
      return;
    }
    if (queue.isEmpty()) {
      if (idle != null) {
        idle.complete();
        idle = null;
      }
      return;
    }
    List<Pending> batch = new ArrayList<>();
    int size = 0;
    while (!queue.isEmpty() && (batch.isEmpty() || size + queue.peek().events().size() <= maxBatchEvents)) {
      Pending next = queue.poll();
      if (!next.events().stream().allMatch(e -> writable.test(((JsonObject) e).getString("stream")))) {
        next.promise().fail(Failures.unavailable("the stream's partition is changing owner, retry with the same id"));
        continue;
      }
      size += next.events().size();
      batch.add(next);
    }
    if (batch.isEmpty()) {
      drain();
      return;
    }
    inFlight = true;
    Promise<Void> written = Promise.promise();
    current = written;
    commit(batch).onComplete(done -> {
      if (done.failed()) {
        // whatever went wrong (a bug in forming the batch included), no caller waits for the bus timeout
        batch.forEach(p -> p.promise().tryFail(done.cause() instanceof ReplyException ? done.cause()
          : Failures.unavailable("storage could not write this batch, retry with the same id")));
      }
      inFlight = false;
      current = null;
      written.complete();
      drain();
    });
  }

  private Future<Void> commit(List<Pending> batch) {
    try {
      return lookUp(batch);
    } catch (RuntimeException e) {
      log.error("group commit failed to form a batch", e);
      return Future.failedFuture(e);
    }
  }

  private Future<Void> lookUp(List<Pending> batch) {
    Map<String, Set<String>> idsByStream = new LinkedHashMap<>();
    for (Pending pending : batch) {
      for (Object o : pending.events()) {
        JsonObject event = (JsonObject) o;
        Set<String> ids = idsByStream.computeIfAbsent(event.getString("stream"), s -> new HashSet<>());
        if (event.getString("id") != null) {
          ids.add(event.getString("id"));
        }
      }
    }
    Map<String, Map<String, JsonObject>> known = new HashMap<>();
    Map<String, Map<String, JsonObject>> stored = new HashMap<>();
    Map<String, Long> last = new HashMap<>();
    List<Future<?>> lookups = new ArrayList<>();
    Map<String, Set<String>> withIds = new HashMap<>();
    for (Map.Entry<String, Set<String>> entry : idsByStream.entrySet()) {
      String stream = entry.getKey();
      known.put(stream, new HashMap<>());
      stored.put(stream, new HashMap<>());
      Long cached = seqs.get(stream);
      if (cached != null) {
        last.put(stream, cached);
      } else {
        lookups.add(store.lastSeq(stream).onSuccess(seq -> last.put(stream, seq)));
      }
      if (!entry.getValue().isEmpty()) {
        withIds.put(stream, entry.getValue());
      }
    }
    if (!withIds.isEmpty()) { // one lookup for every stream of the batch
      lookups.add(store.withIds(withIds).onSuccess(found -> found.forEach(e -> {
        known.get(e.getString("stream")).put(e.getString("id"), ack(e).put("duplicate", true));
        stored.get(e.getString("stream")).put(e.getString("id"), e);
      })));
    }
    return Future.all(lookups)
      .recover(failure -> {
        batch.forEach(p -> p.promise().tryFail(failure));
        return Future.failedFuture(failure);
      })
      .compose(v -> {
        try {
          return write(batch, known, stored, last);
        } catch (RuntimeException e) {
          last.keySet().forEach(seqs::forget);
          log.error("group commit failed to form a write", e);
          return Future.failedFuture(e);
        }
      });
  }

  /**
   * @param known  acks of the ids already taken: in the store, then also those of this batch
   * @param stored the events the store held under this batch's ids
   */
  private Future<Void> write(List<Pending> batch, Map<String, Map<String, JsonObject>> known,
                             Map<String, Map<String, JsonObject>> stored, Map<String, Long> last) {
    String ts = TS.format(Instant.now());
    List<JsonObject> documents = new ArrayList<>();
    List<JsonObject> written = new ArrayList<>();
    List<JsonObject> unannounced = new ArrayList<>();
    List<Pending> accepted = new ArrayList<>();
    List<JsonArray> results = new ArrayList<>();
    for (Pending pending : batch) {
      Map<String, Long> trial = new HashMap<>(); // this request's seqs, over last: dropped if it conflicts
      Map<String, Map<String, JsonObject>> trialIds = new HashMap<>();
      List<JsonObject> events = new ArrayList<>();
      JsonArray result = new JsonArray();
      String conflict = null;
      for (Object o : pending.events()) {
        JsonObject request = (JsonObject) o;
        String stream = request.getString("stream");
        String id = request.getString("id");
        JsonObject duplicate = id == null ? null : findId(known, trialIds, stream, id);
        if (duplicate != null) {
          result.add(duplicate.copy());
          JsonObject old = stored.get(stream).get(id);
          if (old != null && !seqs.announcedHere(stream, old.getLong("seq")) && !unannounced.contains(old)) {
            unannounced.add(old);
          }
          continue;
        }
        long current = trial.getOrDefault(stream, last.get(stream));
        Long expected = request.getLong("expectedSeq");
        if (expected != null && expected != current) {
          conflict = "stream '" + stream + "' is at seq " + current + ", not the expected " + expected;
          break;
        }
        JsonObject event = new JsonObject()
          .put("stream", stream)
          .put("seq", current + 1)
          .put("id", id != null ? id : timeOrderedId())
          .put("type", request.getString("type"))
          .put("data", request.getJsonObject("data"))
          .put("by", request.getString("by"))
          .put("ts", ts);
        trial.put(stream, current + 1);
        trialIds.computeIfAbsent(stream, s -> new HashMap<>()).put(event.getString("id"), ack(event).put("duplicate", true));
        events.add(event);
        result.add(ack(event));
      }
      if (conflict != null) {
        pending.promise().fail(Failures.of(Failures.CONFLICT, conflict));
        continue;
      }
      last.putAll(trial);
      trialIds.forEach((stream, ids) -> known.get(stream).putAll(ids));
      written.addAll(events);
      documents.addAll(events);
      accepted.add(pending);
      results.add(result);
    }
    if (documents.isEmpty()) {
      last.forEach(seqs::put);
      for (int i = 0; i < accepted.size(); i++) {
        accepted.get(i).promise().complete(results.get(i));
      }
      announce(unannounced);
      return Future.succeededFuture();
    }
    batchSizes.record(documents.size());
    long started = System.nanoTime();
    return store.insert(documents)
      .onComplete(done -> writeTimes.record(System.nanoTime() - started, TimeUnit.NANOSECONDS))
      .onSuccess(v -> {
        last.forEach(seqs::put);
        written.forEach(e -> seqs.wrote(e.getString("stream"), e.getLong("seq")));
        appended.increment(written.size());
        for (int i = 0; i < accepted.size(); i++) {
          accepted.get(i).promise().complete(results.get(i));
        }
        announce(unannounced);
        announce(written);
      })
      .onFailure(failure -> {
        last.keySet().forEach(seqs::forget);
        boolean collided = failure instanceof ReplyException r && r.failureCode() == Failures.CONFLICT;
        if (collided) {
          onFenced.accept(last.keySet());
        }
        accepted.forEach(p -> p.promise().fail(collided
          ? Failures.unavailable("storage changed under this write, retry with the same id")
          : failure));
      });
  }

  /**
   * A server-made id: a version 7 UUID (RFC 9562), the Unix time in milliseconds then random bits, so the
   * ids of one batch sort together in the store's id index.
   */
  static String timeOrderedId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long msb = (System.currentTimeMillis() << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
    long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }

  private void announce(List<JsonObject> events) {
    if (!events.isEmpty()) {
      announce.accept(events);
    }
  }

  private static JsonObject findId(Map<String, Map<String, JsonObject>> known,
                                   Map<String, Map<String, JsonObject>> trial, String stream, String id) {
    JsonObject found = known.get(stream).get(id);
    if (found == null && trial.containsKey(stream)) {
      found = trial.get(stream).get(id);
    }
    return found;
  }

  /** What a publisher gets back for a stored event. */
  static JsonObject ack(JsonObject event) {
    return new JsonObject()
      .put("stream", event.getString("stream"))
      .put("seq", event.getLong("seq"))
      .put("id", event.getString("id"))
      .put("ts", event.getString("ts"));
  }
}
