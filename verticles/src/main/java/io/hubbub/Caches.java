package io.hubbub;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Bounded caches for state kept on one event loop (Caffeine). What they hold can always be read again from
 * where it came from, so an entry may go at any time: Caffeine keeps those most likely to be used again.
 */
public final class Caches {

  private Caches() {
  }

  /** At most {@code max} entries; its upkeep runs on the caller's thread, so nothing leaves the event loop. */
  public static <K, V> Cache<K, V> bounded(long max) {
    return Caffeine.newBuilder().maximumSize(max).executor(Runnable::run).build();
  }

  /** As {@link #bounded}, and each entry is read again at most {@code seconds} after it was loaded. */
  public static <K, V> Cache<K, V> bounded(long max, long seconds) {
    return Caffeine.newBuilder().maximumSize(max).expireAfterWrite(java.time.Duration.ofSeconds(seconds))
      .executor(Runnable::run).build();
  }
}
