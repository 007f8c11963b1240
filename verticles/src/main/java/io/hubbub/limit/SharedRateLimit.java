package io.hubbub.limit;

import io.hubbub.bus.Failures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.Lock;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A sliding-window limit per key that holds across the cluster: at most {@code max} events in any
 * {@code windowMs}, wherever they arrive. Each key's recent times live in a cluster-wide map (an entry
 * expires with its window, so idle keys cost nothing) and are read and written under the key's
 * cluster-wide lock. On one node, the same shared data is local.
 */
public final class SharedRateLimit {

  private static final long LOCK_WAIT_MS = 2_000;

  private final Supplier<Future<AsyncMap<String, String>>> maps;
  private final Function<String, Future<Lock>> locks;
  private final String name;
  private final int max;
  private final long windowMs;
  private Future<AsyncMap<String, String>> map;

  /** @param name the limit's name in the cluster's shared data, e.g. {@code hubbub.rate.chat} */
  public SharedRateLimit(Vertx vertx, String name, int max, long windowMs) {
    this(() -> vertx.sharedData().getAsyncMap(name), lock -> vertx.sharedData().getLockWithTimeout(lock, LOCK_WAIT_MS),
      name, max, windowMs);
  }

  /** Over any shared map and locks: the cluster's, or in a unit test ones that fail on cue. */
  SharedRateLimit(Supplier<Future<AsyncMap<String, String>>> maps, Function<String, Future<Lock>> locks,
                  String name, int max, long windowMs) {
    this.maps = maps;
    this.locks = locks;
    this.name = name;
    this.max = max;
    this.windowMs = windowMs;
  }

  /** Counts one event for {@code key}: 0 when allowed, else the seconds to wait (at least 1); 503 when the cluster does not answer. */
  public Future<Long> acquire(String key) {
    if (map == null || map.failed()) {
      map = maps.get(); // a map that could not be had is asked for again: one cluster hiccup is not for ever
    }
    return map.compose(times -> locks.apply(name + "." + key)
      .compose(lock -> count(times, key).eventually(() -> {
        lock.release();
        return Future.succeededFuture();
      })))
      .recover(failure -> Future.failedFuture(Failures.unavailable("rate limit unavailable, retry later")));
  }

  private Future<Long> count(AsyncMap<String, String> map, String key) {
    return map.get(key).compose(value -> {
      long now = System.currentTimeMillis();
      List<Long> recent = new ArrayList<>();
      if (value != null && !value.isEmpty()) {
        Arrays.stream(value.split(",")).map(Long::parseLong).filter(t -> t > now - windowMs).forEach(recent::add);
      }
      if (recent.size() >= max) {
        return Future.succeededFuture(Math.max(1, (recent.get(0) + windowMs - now + 999) / 1000));
      }
      recent.add(now);
      String encoded = recent.stream().map(String::valueOf).collect(Collectors.joining(","));
      return map.put(key, encoded, windowMs).map(0L);
    });
  }
}
