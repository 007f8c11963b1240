package io.hubbub.storage;

import io.hubbub.bus.Failures;
import io.hubbub.bus.IsoTimes;
import io.hubbub.bus.StorageBus.Ack;
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

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.DoubleStream;

/**
 * Appends with group commit. While a write is in flight, whatever arrives waits in the queue and goes out as the next
 * single ordered bulk write; large writes of other streams go out beside it, a few at most ({@link #drain}). Seqs are
 * assigned here, when a batch is formed, from the last durable seq of each stream; a request is acknowledged only
 * after its batch is on disk, and {@code announce} (which publishes live) runs only then.
 *
 * <p>Ids are not looked up before a write: the store's unique index on the ids publishers gave refuses one stored
 * before, and only then are the batch's ids looked up and the batch formed again ({@link #afterCollision}). An id
 * made here ({@link MadeIds}) is unique by construction and not indexed ({@link EventLog#insert}). A batch carrying an
 * {@code expectedSeq} looks its ids up first: a retried request answers as a duplicate whatever the stream's seq is;
 * so does one carrying an id that reads as made here, at the seq it carries (where it is stored, if it is).
 *
 * <p>Runs on one event loop (the storage verticle's): no locking. A failed write forgets the seqs
 * of its streams, which are read again from the store next time; the unique key of each event
 * ({@code <stream>|<seq>}) fences anything written twice: a write that collides means another
 * instance wrote the stream, and its partition is given up ({@code onFenced}).
 */
final class GroupCommit {

  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  /** Requests that came together, when they came ({@link System#nanoTime}), and their answer. */
  private record Pending(List<Request> requests, Promise<List<Ack>> promise, long arrived) {
  }

  /**
   * The buckets of the latency histograms: fine around the milliseconds a group commit takes, so that a percentile read
   * from them (Prometheus's {@code histogram_quantile}) is close; few, since every one is a series.
   */
  static final Duration[] LATENCY_BUCKETS = DoubleStream.of(0.25, 0.5, 1, 2, 3, 4, 6, 8, 10, 12, 15, 20, 30, 50, 100, 250, 1000)
    .mapToObj(ms -> Duration.ofNanos(Math.round(ms * 1_000_000))).toArray(Duration[]::new);

  /**
   * An event to append, with the id its publisher gave, or null: then one is made when it gets its seq
   * ({@link MadeIds}), in each attempt anew unless that attempt stored it. {@code madeSeq}: the seq a given id carries
   * when it reads as a made one, else -1.
   */
  private record Request(String stream, String id, String type, JsonObject data, String by, Long expectedSeq,
                         long madeSeq) {

    static Request of(JsonObject event) {
      String id = event.getString("id");
      return new Request(event.getString("stream"), id, event.getString("type"), event.getJsonObject("data"),
        event.getString("by"), event.getLong("expectedSeq"), id == null ? -1 : MadeIds.seqOf(id));
    }

    boolean given() {
      return id != null;
    }
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
  private final Timer latencies;
  private final int maxWritesInFlight;
  private final int minEventsBeyondFirst;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  /** The writes in flight, each completed when done; their streams ({@link #writing}) never overlap. */
  private final List<Promise<Void>> inFlight = new ArrayList<>();
  private final Set<String> writing = new HashSet<>();
  private Promise<Void> idle;

  /**
   * @param announce publishes events live: those just stored, and stored ones a retried publish found that this
   *                 instance did not announce itself (their writer may have died between storing and announcing)
   * @param writable whether this instance may still write a stream (owns its partition); checked when a batch is formed
   * @param onFenced the streams of a write that collided with stored keys: another writer took them over
   */
  GroupCommit(EventLog store, SeqCache seqs, int maxBatchEvents, int maxWritesInFlight,
              Consumer<List<JsonObject>> announce, Predicate<String> writable, Consumer<Set<String>> onFenced,
              MeterRegistry registry) {
    this.store = store;
    this.seqs = seqs;
    this.maxBatchEvents = maxBatchEvents;
    this.maxWritesInFlight = maxWritesInFlight;
    this.minEventsBeyondFirst = Math.max(1, maxBatchEvents / 4);
    this.announce = announce;
    this.appended = Counter.builder("hubbub.appends").description("Events durably appended").register(registry);
    this.writable = writable;
    this.onFenced = onFenced;
    this.batchSizes = DistributionSummary.builder("hubbub.append.batch.events")
      .description("Events per group-committed bulk write").register(registry);
    this.writeTimes = Timer.builder("hubbub.append.write")
      .description("Time of one group-committed bulk write, until durable")
      .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    this.latencies = Timer.builder("hubbub.append.latency")
      .description("Time from an append's arrival at storage until it is acknowledged as durable: its wait for the write in"
        + " flight, then its own write")
      .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
  }

  /** Queues checked events ({@code {stream, type, data, by, id?, expectedSeq?}}); completes with their results. */
  Future<List<Ack>> submit(JsonArray events) {
    Promise<List<Ack>> promise = Promise.promise();
    List<Request> requests = new ArrayList<>(events.size());
    events.forEach(e -> requests.add(Request.of((JsonObject) e)));
    queue.add(new Pending(requests, promise, System.nanoTime()));
    drain();
    return promise.future();
  }

  /** Completes when the writes in flight now (if any) are done: what a partition handed over waits for. */
  Future<Void> whenWritten() {
    return Future.join(inFlight.stream().map(Promise::future).toList()).mapEmpty();
  }

  /** Completes when nothing is queued or in flight: for a graceful stop. */
  Future<Void> whenIdle() {
    if (inFlight.isEmpty() && queue.isEmpty()) {
      return Future.succeededFuture();
    }
    if (idle == null) {
      idle = Promise.promise();
    }
    return idle.future();
  }

  /**
   * Sends what the queue holds, from its head, as writes of at most {@code maxBatchEvents} events while fewer than
   * {@code maxWritesInFlight} are in flight. A write beyond the first goes out only when it carries at least a quarter
   * of {@code maxBatchEvents}: a write's fixed cost (its hops to the store and back) is that of tens of events, so
   * small writes side by side would cost more than they gain, and small ones wait to go as one group with what arrives
   * meanwhile. A request for a stream a write in flight holds waits for it, and so does everything queued after it: a
   * stream's writes go out one at a time, in the order they came.
   */
  private void drain() {
    while (inFlight.size() < maxWritesInFlight) {
      if (queue.isEmpty()) {
        if (inFlight.isEmpty() && idle != null) {
          idle.complete();
          idle = null;
        }
        return;
      }
      int take = 0;
      int size = 0;
      for (Pending next : queue) {
        if ((take > 0 && size + next.requests().size() > maxBatchEvents)
          || next.requests().stream().anyMatch(r -> writing.contains(r.stream()))) {
          break;
        }
        take++;
        size += next.requests().size();
      }
      if (take == 0 || (!inFlight.isEmpty() && size < minEventsBeyondFirst)) {
        return; // the head waits for the write of its streams, or for more to come
      }
      List<Pending> batch = new ArrayList<>(take);
      Set<String> streams = new LinkedHashSet<>(); // in the order they came
      for (int i = 0; i < take; i++) {
        Pending next = queue.poll();
        if (next.requests().stream().allMatch(r -> writable.test(r.stream()))) {
          batch.add(next);
          next.requests().forEach(r -> streams.add(r.stream()));
        } else {
          next.promise().fail(Failures.unavailable("the stream's partition is changing owner, retry with the same id"));
        }
      }
      if (!batch.isEmpty()) {
        send(batch, streams);
      }
    }
  }

  private void send(List<Pending> batch, Set<String> streams) {
    Promise<Void> written = Promise.promise();
    inFlight.add(written);
    writing.addAll(streams);
    commit(batch, streams).onComplete(done -> {
      if (done.failed()) {
        // whatever went wrong (a bug in forming the batch included), no caller waits for the bus timeout
        batch.forEach(p -> p.promise().tryFail(done.cause() instanceof ReplyException ? done.cause()
          : Failures.unavailable("storage could not write this batch, retry with the same id")));
      }
      inFlight.remove(written);
      writing.removeAll(streams);
      written.complete();
      drain();
    });
  }

  /** Writes a batch; {@code streams} are its requests' streams, in the order they came. */
  private Future<Void> commit(List<Pending> batch, Set<String> streams) {
    return formed(streams, () -> {
      if (batch.stream().anyMatch(p -> p.requests().stream().anyMatch(r -> r.expectedSeq() != null || r.madeSeq() > 0))) {
        // whether an expectedSeq holds depends on which of the batch's ids are stored already (a retry answers as
        // a duplicate, whatever the stream's seq now), and an id reading as one made here is not in the index, but
        // at the seq it carries: look them up first
        Map<String, Set<String>> ids = new HashMap<>();
        Map<String, Map<Long, Set<String>>> made = new HashMap<>(); // by stream and the seq they carry
        batch.forEach(p -> p.requests().stream().filter(Request::given).forEach(r -> {
          ids.computeIfAbsent(r.stream(), s -> new HashSet<>()).add(r.id());
          if (r.madeSeq() > 0) {
            made.computeIfAbsent(r.stream(), s -> new HashMap<>()).computeIfAbsent(r.madeSeq(), q -> new HashSet<>())
              .add(r.id());
          }
        }));
        Future<Map<String, Long>> last = lastSeqs(streams, true);
        Future<Map<String, Map<String, JsonObject>>> stored = stored(ids);
        Future<List<JsonObject>> atMade = made.isEmpty() ? Future.succeededFuture(List.of()) : store.atSeqs(
          made.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().keySet())));
        return Future.all(last, stored, atMade).compose(v -> formed(streams, () -> {
          Map<String, Map<String, JsonObject>> found = stored.result();
          for (JsonObject event : atMade.result()) { // stored there under the very id asked for
            Set<String> asked = made.getOrDefault(event.getString("stream"), Map.of())
              .getOrDefault(event.getLong("seq"), Set.of());
            if (asked.contains(event.getString("id"))) {
              byStreamAndId(found, event);
            }
          }
          return write(plan(batch, found, null, last.result()), streams);
        }));
      }
      return lastSeqs(streams, true).compose(last -> {
        Map<String, Long> before = new HashMap<>(last);
        Plan attempt = plan(batch, Map.of(), null, last);
        return insert(attempt).recover(failure -> {
          if (!collided(failure)) {
            streams.forEach(seqs::forget);
            return Future.failedFuture(failure);
          }
          // until formed again, what the attempt wrote is unknown: a failure on the way leaves no seq cached
          return formed(streams, () -> afterCollision(batch, streams, before, attempt))
            .onFailure(f -> streams.forEach(seqs::forget));
        });
      });
    });
  }

  /**
   * The optimistic write collided: on an id stored before (the unique index on ids refused it), or on a seq another
   * writer took. The buckets before the refused one in the ordered bulk write were written. Reads the streams' last
   * seqs and the batch's ids again: when every seq past what the write started from is one the attempt gave, nobody
   * else wrote these streams and the batch is formed again with what is stored (the attempt's written events answered
   * as stored and announced, older ones as duplicates); otherwise another writer holds the streams it wrote (fenced).
   */
  private Future<Void> afterCollision(List<Pending> batch, Set<String> streams, Map<String, Long> before, Plan attempt) {
    Map<String, Map<String, Long>> assigned = attempt.assigned();
    // the ids publishers gave are indexed: found whoever stored them (the attempt, or a write before it); the events
    // the attempt wrote are found at the seqs it gave them, whoever made their ids (one the server made is not indexed)
    Map<String, Set<String>> ids = new HashMap<>();
    attempt.given().forEach(e -> ids.computeIfAbsent(e.getString("stream"), s -> new HashSet<>()).add(e.getString("id")));
    Map<String, Set<Long>> seqs = new HashMap<>();
    assigned.forEach((stream, seqsById) -> seqs.put(stream, new HashSet<>(seqsById.values())));
    Future<Map<String, Long>> read = lastSeqs(streams, false);
    Future<Map<String, Map<String, JsonObject>>> found = stored(ids);
    Future<List<JsonObject>> written = store.atSeqs(seqs);
    return Future.all(read, found, written).compose(v -> formed(streams, () -> {
      Map<String, Long> last = read.result();
      Map<String, Map<String, JsonObject>> stored = found.result();
      for (JsonObject event : written.result()) {
        if (gave(assigned, event)) {
          byStreamAndId(stored, event);
        }
      }
      Set<String> taken = new LinkedHashSet<>();
      for (String stream : streams) {
        long ours = stored.getOrDefault(stream, Map.of()).values().stream().filter(e -> gave(assigned, e)).count();
        if (last.get(stream) != before.get(stream) + ours) {
          taken.add(stream);
        }
      }
      if (!taken.isEmpty()) {
        return fenced(streams, taken);
      }
      return write(plan(batch, stored, attempt, last), streams);
    }));
  }

  /** Writes a plan formed with the store's ids looked up: a collision now means another writer took a seq. */
  private Future<Void> write(Plan plan, Set<String> streams) {
    return insert(plan).recover(failure -> {
      if (collided(failure)) {
        return fenced(streams, streams);
      }
      streams.forEach(seqs::forget);
      return Future.failedFuture(failure);
    });
  }

  private Future<Void> fenced(Set<String> streams, Set<String> taken) {
    streams.forEach(seqs::forget);
    onFenced.accept(taken);
    return Future.failedFuture(Failures.unavailable("storage changed under this write, retry with the same id"));
  }

  private static boolean collided(Throwable failure) {
    return failure instanceof ReplyException r && r.failureCode() == Failures.CONFLICT;
  }

  /**
   * Runs a step that forms a write; an exception there (a bug, or a store answer it cannot use) fails the batch at
   * once, its streams' seqs read again next time.
   */
  private Future<Void> formed(Set<String> streams, Supplier<Future<Void>> step) {
    try {
      return step.get();
    } catch (RuntimeException e) {
      streams.forEach(seqs::forget);
      log.error("group commit failed to form a write", e);
      return Future.failedFuture(e);
    }
  }

  /** The last seq of each stream: the cached one when {@code cached} allows, else read from the store. */
  private Future<Map<String, Long>> lastSeqs(Set<String> streams, boolean cached) {
    Map<String, Long> last = new HashMap<>();
    List<Future<?>> reads = new ArrayList<>();
    for (String stream : streams) {
      Long known = cached ? seqs.get(stream) : null;
      if (known != null) {
        last.put(stream, known);
      } else {
        reads.add(store.lastSeq(stream).onSuccess(seq -> last.put(stream, seq)));
      }
    }
    return Future.all(reads).map(v -> last);
  }

  /** Puts a stored event into a map of events by stream and id. */
  private static void byStreamAndId(Map<String, Map<String, JsonObject>> events, JsonObject event) {
    events.computeIfAbsent(event.getString("stream"), s -> new HashMap<>()).put(event.getString("id"), event);
  }

  /** The stored events under these ids, by stream and id: one lookup for every stream. */
  private Future<Map<String, Map<String, JsonObject>>> stored(Map<String, Set<String>> ids) {
    Map<String, Map<String, JsonObject>> stored = new HashMap<>();
    if (ids.isEmpty()) {
      return Future.succeededFuture(stored);
    }
    return store.withIds(ids).map(found -> {
      found.forEach(e -> byStreamAndId(stored, e));
      return stored;
    });
  }

  /**
   * Forms a write: each request's events get the next seqs of their streams, unless their id is stored (answered as
   * stored) or came earlier in the batch (answered as that one); a request whose expectedSeq does not hold is refused
   * with 409 now, and none of its events is written.
   *
   * @param stored  stored events by stream and id
   * @param attempt the collided attempt of this batch, or null: those of its events stored were written by it, so
   *                they are answered as new and announced, under the ids it made for them
   */
  private Plan plan(List<Pending> batch, Map<String, Map<String, JsonObject>> stored, Plan attempt,
                    Map<String, Long> last) {
    String ts = IsoTimes.format(Instant.now());
    Map<String, Map<String, Long>> assigned = attempt == null ? Map.of() : attempt.assigned();
    IdentityHashMap<Request, String> madeBefore = attempt == null ? new IdentityHashMap<>() : attempt.made();
    Map<String, Map<String, JsonObject>> known = new HashMap<>(); // the events of the ids this batch took
    Plan plan = new Plan(new ArrayList<>(), new ArrayList<>(), Collections.newSetFromMap(new IdentityHashMap<>()),
      new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), last);
    for (Pending pending : batch) {
      Map<String, Long> trial = new HashMap<>(); // this request's seqs, over last: dropped if it conflicts
      Map<String, Map<String, JsonObject>> trialIds = new HashMap<>(); // its ids' events: a repeat answers as theirs
      List<JsonObject> events = new ArrayList<>();
      List<JsonObject> given = new ArrayList<>(); // those of them whose id goes into the index
      List<Request> writers = new ArrayList<>(); // the request of each of them
      List<Ack> result = new ArrayList<>();
      String conflict = null;
      for (Request request : pending.requests()) {
        String stream = request.stream();
        // an id made here comes once in a batch, so it is neither looked up among the batch's ids nor kept for the
        // events that follow (~1% of the server's CPU in appends of 1,000 events); it is stored only when a
        // collided attempt wrote it, and then {@code stored} holds it under the id that attempt made
        String id = request.given() ? request.id() : madeBefore.get(request);
        JsonObject taken = null;
        if (request.given()) {
          taken = known.getOrDefault(stream, Map.of()).get(id);
          if (taken == null) {
            taken = trialIds.getOrDefault(stream, Map.of()).get(id);
          }
        }
        if (taken != null) {
          result.add(ack(taken, true));
          continue;
        }
        JsonObject old = id == null ? null : stored.getOrDefault(stream, Map.of()).get(id);
        if (old != null) {
          boolean ours = gave(assigned, old);
          result.add(ack(old, !ours));
          trialIds.computeIfAbsent(stream, s -> new HashMap<>()).put(id, old);
          if (ours) {
            plan.ours().add(old);
          } else if (!seqs.announcedHere(stream, old.getLong("seq")) && !plan.unannounced().contains(old)) {
            plan.unannounced().add(old);
          }
          continue;
        }
        long current = trial.getOrDefault(stream, last.get(stream));
        Long expected = request.expectedSeq();
        if (expected != null && expected != current) {
          conflict = "stream '" + stream + "' is at seq " + current + ", not the expected " + expected;
          break;
        }
        long seq = current + 1;
        boolean indexed = request.given();
        if (!indexed) { // made for this seq, even where an attempt made one for another seq that it did not store
          indexed = seq > MadeIds.MAX_SEQ;
          id = indexed ? MadeIds.indexed() : MadeIds.of(seq);
        }
        JsonObject event = new JsonObject()
          .put("stream", stream)
          .put("seq", seq)
          .put("id", id)
          .put("type", request.type())
          .put("data", request.data())
          .put("by", request.by())
          .put("ts", ts);
        trial.put(stream, seq);
        if (request.given()) {
          trialIds.computeIfAbsent(stream, s -> new HashMap<>()).put(id, event);
        }
        if (indexed) {
          given.add(event);
        }
        events.add(event);
        writers.add(request);
        result.add(new Ack(stream, seq, id, ts, false));
      }
      if (conflict != null) {
        pending.promise().fail(Failures.of(Failures.CONFLICT, conflict));
        continue;
      }
      last.putAll(trial);
      // a request's map of ids is its stream's in known when it is the first there (one request a batch, mostly)
      trialIds.forEach((stream, ids) -> known.merge(stream, ids, (before, added) -> {
        before.putAll(added);
        return before;
      }));
      plan.written().addAll(events);
      plan.writers().addAll(writers);
      plan.given().addAll(given);
      plan.accepted().add(pending);
      plan.results().add(result);
    }
    return plan;
  }

  /** Writes what a plan formed; done, it answers its requests and announces. A failure answers nobody: the caller does. */
  private Future<Void> insert(Plan plan) {
    if (plan.written().isEmpty()) {
      complete(plan);
      return Future.succeededFuture();
    }
    batchSizes.record(plan.written().size());
    long started = System.nanoTime();
    return store.insert(plan.written(), plan.given()::contains)
      .onComplete(done -> writeTimes.record(System.nanoTime() - started, TimeUnit.NANOSECONDS))
      .onSuccess(v -> complete(plan));
  }

  /**
   * A write formed from a batch.
   *
   * @param written     the events to write, with their seqs
   * @param given       those of them whose id goes into the store's index: their publishers' (the others' were made
   *                    here, {@link MadeIds}), by identity
   * @param writers     the request of each of {@code written}, in its order
   * @param ours        stored events a collided attempt of this batch wrote: new to their publishers, not announced yet
   * @param unannounced stored events found under the batch's ids that this instance did not announce (their writer may
   *                    have died between storing and announcing)
   * @param last        each stream's last seq once written
   */
  private record Plan(List<JsonObject> written, List<Request> writers, Set<JsonObject> given, List<JsonObject> ours, List<JsonObject> unannounced,
                      List<Pending> accepted, List<List<Ack>> results, Map<String, Long> last) {

    /** The ids made here for the requests of {@code written} that came without one, by request (identity). */
    IdentityHashMap<Request, String> made() {
      IdentityHashMap<Request, String> made = new IdentityHashMap<>();
      for (int i = 0; i < written.size(); i++) {
        if (!writers.get(i).given()) {
          made.put(writers.get(i), written.get(i).getString("id"));
        }
      }
      return made;
    }

    /**
     * The seqs given to {@code written}, by stream and id: made only after a collision, never for a write that
     * goes through (made for every write, with the ids copied again, {@link GroupCommit#plan} was 5.6% of the
     * server's CPU samples in appends of 1,000 events a request; 2.9% since).
     */
    Map<String, Map<String, Long>> assigned() {
      Map<String, Map<String, Long>> assigned = new HashMap<>();
      written.forEach(e -> assigned.computeIfAbsent(e.getString("stream"), s -> new HashMap<>())
        .put(e.getString("id"), e.getLong("seq")));
      return assigned;
    }
  }

  /** Whether a write that gave these seqs ({@code assigned}, by stream and id) gave that stored event its seq. */
  private static boolean gave(Map<String, Map<String, Long>> assigned, JsonObject stored) {
    Long seq = assigned.getOrDefault(stored.getString("stream"), Map.of()).get(stored.getString("id"));
    return seq != null && seq.equals(stored.getLong("seq"));
  }

  /** A plan is durable: its streams' seqs are known, its requests answered, its events announced. */
  private void complete(Plan plan) {
    plan.last().forEach(seqs::put);
    plan.ours().forEach(e -> seqs.wrote(e.getString("stream"), e.getLong("seq")));
    plan.written().forEach(e -> seqs.wrote(e.getString("stream"), e.getLong("seq")));
    appended.increment(plan.ours().size() + plan.written().size());
    long now = System.nanoTime();
    for (int i = 0; i < plan.accepted().size(); i++) {
      Pending pending = plan.accepted().get(i);
      latencies.record(now - pending.arrived(), TimeUnit.NANOSECONDS);
      pending.promise().complete(plan.results().get(i));
    }
    announce(plan.unannounced());
    announce(plan.ours());
    announce(plan.written());
  }

  private void announce(List<JsonObject> events) {
    if (!events.isEmpty()) {
      announce.accept(events);
    }
  }

  /** What a publisher gets back for a stored event; {@code duplicate} when another event came with its id before. */
  static Ack ack(JsonObject event, boolean duplicate) {
    return new Ack(event.getString("stream"), event.getLong("seq"), event.getString("id"), event.getString("ts"),
      duplicate);
  }
}
