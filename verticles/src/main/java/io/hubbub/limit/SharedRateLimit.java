package io.hubbub.limit;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.hubbub.ClusterGuard;
import io.hubbub.bus.Failures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A sliding-window limit per key that holds across the cluster: at most {@code max} events in any
 * {@code windowMs}, wherever they arrive. Each key's recent times live in one entry of a cluster-wide Hazelcast
 * map (it expires with its window, so idle keys cost nothing), and each event is one {@link SlidingWindow} entry
 * processor run where the entry lives: one round trip, no lock. A node that is not clustered keeps the entries in
 * memory, stepped by {@link ConcurrentHashMap#compute}.
 */
public final class SharedRateLimit {

  /** Where the windows live: runs one step on one key's entry, atomically. */
  interface Windows {
    Future<Long> step(String key, SlidingWindow window);
  }

  private final Windows windows;
  private final int max;
  private final long windowMs;

  /** The limit of this node: cluster-wide when it is clustered ({@code name}: its map, e.g. {@code hubbub.rate.chat}). */
  public static SharedRateLimit create(Vertx vertx, String name, int max, long windowMs) {
    HazelcastInstance hazelcast = ClusterGuard.of(vertx).hazelcast();
    return new SharedRateLimit(hazelcast != null ? clustered(vertx, hazelcast.getMap(name)) : new InMemory(), max, windowMs);
  }

  /** Over any windows: the cluster's, this JVM's, or in a unit test ones that fail on cue. */
  SharedRateLimit(Windows windows, int max, long windowMs) {
    this.windows = windows;
    this.max = max;
    this.windowMs = windowMs;
  }

  /** Counts one event for {@code key}: 0 when allowed, else the seconds to wait (at least 1); 503 when the cluster does not answer. */
  public Future<Long> acquire(String key) {
    return windows.step(key, new SlidingWindow(max, windowMs, System.currentTimeMillis()))
      .recover(failure -> Future.failedFuture(Failures.unavailable("rate limit unavailable, retry later")));
  }

  private static Windows clustered(Vertx vertx, IMap<String, String> map) {
    return (key, window) -> Future.fromCompletionStage(map.submitToKey(key, window), vertx.getOrCreateContext());
  }

  /** A node alone: the entries in memory, the expired ones dropped now and then. */
  static final class InMemory implements Windows {
    private static final int SWEEP_EVERY = 1_024;
    private final Map<String, String> entries = new ConcurrentHashMap<>();
    private final AtomicInteger steps = new AtomicInteger();

    @Override
    public Future<Long> step(String key, SlidingWindow window) {
      long[] wait = new long[1];
      entries.compute(key, (k, value) -> {
        SlidingWindow.Step step = window.next(value);
        wait[0] = step.waitSeconds();
        return step.value();
      });
      if (steps.incrementAndGet() % SWEEP_EVERY == 0) {
        entries.replaceAll((k, value) -> window.trim(value)); // drops the times the window has passed
        entries.values().removeIf(String::isEmpty);
      }
      return Future.succeededFuture(wait[0]);
    }
  }
}
