package io.hubbub.storage;

import io.hubbub.bus.Failures;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * An in-process {@link EventLog} for unit tests: a map of streams, the store's unique keys ({@code <stream>|<seq>},
 * and {@code <stream>|<id>} of the ids publishers gave), and a script of what the next calls do: answer, fail, or wait until the test releases
 * them. Calls answer at once, on the calling thread, unless told to wait. An insert is an ordered bulk write of one
 * bucket per stream, in the order the streams first appear: the first bucket with a taken key fails it with 409, and
 * the buckets before it stay written.
 */
final class FakeEventLog implements EventLog {

  enum Call { LAST_SEQ, WITH_IDS, AT_SEQS, INSERT }

  final Map<String, TreeMap<Long, JsonObject>> streams = new HashMap<>();
  /** The keys ({@code <stream>|<id>}) of the stored events whose ids their publishers gave: the unique index. */
  final Set<String> indexed = new HashSet<>();
  final List<String> calls = new ArrayList<>();
  private final Map<Call, Queue<Function<Supplier<Future<?>>, Future<?>>>> script = new HashMap<>();
  private final List<Promise<Void>> held = new ArrayList<>();

  /** The next call of this kind fails with 503 and does nothing. */
  FakeEventLog failNext(Call call) {
    return next(call, work -> Future.failedFuture(Failures.unavailable("fake store failure")));
  }

  /** The next call of this kind waits until {@link #release}, then does its work and answers. */
  FakeEventLog holdNext(Call call) {
    return next(call, work -> {
      Promise<Void> gate = Promise.promise();
      held.add(gate);
      return gate.future().compose(v -> work.get());
    });
  }

  /** The next call of this kind answers what {@code step} makes of its work (which it may skip, or do). */
  FakeEventLog next(Call call, Function<Supplier<Future<?>>, Future<?>> step) {
    script.computeIfAbsent(call, c -> new ArrayDeque<>()).add(step);
    return this;
  }

  /** Lets the {@code i}th of the calls held now (in the order they came) go on, the others still waiting. */
  void release(int i) {
    held.remove(i).complete();
  }

  /** Lets every held call go on. */
  void release() {
    List<Promise<Void>> gates = new ArrayList<>(held);
    held.clear();
    gates.forEach(Promise::complete);
  }

  /** Stores an event as another writer would have, its id given by its publisher (so indexed). */
  void storedElsewhere(JsonObject event) {
    streams.computeIfAbsent(event.getString("stream"), s -> new TreeMap<>()).put(event.getLong("seq"), event);
    indexed.add(key(event));
  }

  /** A stream's stored events in seq order. */
  List<JsonObject> events(String stream) {
    return new ArrayList<>(streams.getOrDefault(stream, new TreeMap<>()).values());
  }

  @Override
  public Future<Long> lastSeq(String stream) {
    calls.add("lastSeq " + stream);
    return call(Call.LAST_SEQ, () -> {
      TreeMap<Long, JsonObject> events = streams.get(stream);
      return Future.succeededFuture(events == null || events.isEmpty() ? 0L : events.lastKey());
    });
  }

  /** Finds only the ids inserted as given by their publishers, as the store's index holds only those. */
  @Override
  public Future<List<JsonObject>> withIds(Map<String, ? extends Collection<String>> idsByStream) {
    calls.add("withIds " + String.join(",", idsByStream.keySet()));
    return call(Call.WITH_IDS, () -> Future.succeededFuture(idsByStream.entrySet().stream()
      .flatMap(ids -> streams.getOrDefault(ids.getKey(), new TreeMap<>()).values().stream()
        .filter(e -> ids.getValue().contains(e.getString("id")) && indexed.contains(key(e))))
      .map(JsonObject::copy).toList()));
  }

  @Override
  public Future<List<JsonObject>> atSeqs(Map<String, ? extends Collection<Long>> seqsByStream) {
    calls.add("atSeqs " + String.join(",", seqsByStream.keySet()));
    return call(Call.AT_SEQS, () -> Future.succeededFuture(seqsByStream.entrySet().stream()
      .flatMap(seqs -> streams.getOrDefault(seqs.getKey(), new TreeMap<>()).values().stream()
        .filter(e -> seqs.getValue().contains(e.getLong("seq"))))
      .map(JsonObject::copy).toList()));
  }

  /**
   * Refuses a bucket with a seq taken, or an id given by its publisher that is taken by an event whose id was given
   * too (the store's unique index holds given ids only; an id the server made is unique by construction).
   */
  @Override
  public Future<Void> insert(List<JsonObject> events, Predicate<JsonObject> idGiven) {
    calls.add("insert " + events.size());
    Map<String, List<JsonObject>> buckets = new LinkedHashMap<>();
    Set<String> given = new HashSet<>();
    events.forEach(e -> {
      buckets.computeIfAbsent(e.getString("stream"), s -> new ArrayList<>()).add(e.copy());
      if (idGiven.test(e)) {
        given.add(key(e));
      }
    });
    return call(Call.INSERT, () -> {
      for (Map.Entry<String, List<JsonObject>> bucket : buckets.entrySet()) {
        TreeMap<Long, JsonObject> stored = streams.computeIfAbsent(bucket.getKey(), s -> new TreeMap<>());
        for (JsonObject event : bucket.getValue()) {
          if (stored.containsKey(event.getLong("seq")) || (given.contains(key(event)) && indexed.contains(key(event)))) {
            return Future.failedFuture(Failures.of(Failures.CONFLICT, "duplicate key"));
          }
        }
        bucket.getValue().forEach(e -> {
          stored.put(e.getLong("seq"), e);
          if (given.contains(key(e))) {
            indexed.add(key(e));
          }
        });
      }
      return Future.succeededFuture();
    });
  }

  private static String key(JsonObject event) {
    return event.getString("stream") + "|" + event.getString("id");
  }

  @SuppressWarnings("unchecked")
  private <T> Future<T> call(Call call, Supplier<Future<T>> work) {
    Queue<Function<Supplier<Future<?>>, Future<?>>> steps = script.get(call);
    if (steps == null || steps.isEmpty()) {
      return work.get();
    }
    return (Future<T>) steps.poll().apply(work::get);
  }
}
