package io.hubbub.limit;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * A sliding-window limit per key: at most {@code max} events in any {@code windowMs}. Keys whose
 * window has emptied are dropped by {@link #sweep}, so idle users cost nothing.
 */
public final class RateLimit {

  private final int max;
  private final long windowMs;
  private final Map<String, Deque<Long>> recent = new HashMap<>();

  public RateLimit(int max, long windowMs) {
    this.max = max;
    this.windowMs = windowMs;
  }

  /** Counts one event for {@code key} at {@code now} and answers true, or answers false when over the limit. */
  public boolean tryAcquire(String key, long now) {
    Deque<Long> times = recent.computeIfAbsent(key, k -> new ArrayDeque<>());
    expire(times, now);
    if (times.size() >= max) {
      return false;
    }
    times.addLast(now);
    return true;
  }

  /** Seconds until {@code key} may send again, at least 1. */
  public long retryAfterSeconds(String key, long now) {
    Deque<Long> times = recent.get(key);
    if (times == null || times.isEmpty()) {
      return 1;
    }
    return Math.max(1, (times.peekFirst() + windowMs - now + 999) / 1000);
  }

  public void sweep(long now) {
    recent.values().removeIf(times -> {
      expire(times, now);
      return times.isEmpty();
    });
  }

  private void expire(Deque<Long> times, long now) {
    while (!times.isEmpty() && times.peekFirst() <= now - windowMs) {
      times.removeFirst();
    }
  }
}
