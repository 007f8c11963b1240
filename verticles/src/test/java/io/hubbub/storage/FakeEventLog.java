package io.hubbub.storage;

import io.hubbub.bus.Failures;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * An in-process {@link EventLog} for unit tests: a map of streams, the store's unique keys ({@code <stream>|<seq>}
 * and {@code <stream>|<id>}), and a script of what the next calls do: answer, fail, or wait until the test releases
 * them. Calls answer at once, on the calling thread, unless told to wait. An insert is an ordered bulk write of one
 * bucket per stream, in the order the streams first appear: the first bucket with a taken key fails it with 409, and
 * the buckets before it stay written.
 */
final class FakeEventLog implements EventLog {

  enum Call { LAST_SEQ, WITH_IDS, INSERT }

  final Map<String, TreeMap<Long, JsonObject>> streams = new HashMap<>();
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

  @Override
  public Future<List<JsonObject>> withIds(Map<String, ? extends Collection<String>> idsByStream) {
    calls.add("withIds " + String.join(",", idsByStream.keySet()));
    return call(Call.WITH_IDS, () -> Future.succeededFuture(idsByStream.entrySet().stream()
      .flatMap(ids -> streams.getOrDefault(ids.getKey(), new TreeMap<>()).values().stream()
        .filter(e -> ids.getValue().contains(e.getString("id"))))
      .map(JsonObject::copy).toList()));
  }

  @Override
  public Future<Void> insert(List<JsonObject> events) {
    calls.add("insert " + events.size());
    Map<String, List<JsonObject>> buckets = new LinkedHashMap<>();
    events.forEach(e -> buckets.computeIfAbsent(e.getString("stream"), s -> new ArrayList<>()).add(e.copy()));
    return call(Call.INSERT, () -> {
      for (Map.Entry<String, List<JsonObject>> bucket : buckets.entrySet()) {
        TreeMap<Long, JsonObject> stored = streams.computeIfAbsent(bucket.getKey(), s -> new TreeMap<>());
        for (JsonObject event : bucket.getValue()) {
          if (stored.containsKey(event.getLong("seq"))
            || stored.values().stream().anyMatch(e -> event.getString("id").equals(e.getString("id")))) {
            return Future.failedFuture(Failures.of(Failures.CONFLICT, "duplicate key"));
          }
        }
        bucket.getValue().forEach(e -> stored.put(e.getLong("seq"), e));
      }
      return Future.succeededFuture();
    });
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
