package io.hubbub.storage;

import com.github.benmanes.caffeine.cache.Cache;
import io.hubbub.Caches;

import java.util.function.Predicate;

/**
 * The last durable seq of recently used streams, bounded ({@link Caches}), and the first seq
 * this instance wrote to each since it loaded it: events from there on were announced live by this
 * instance. A stream that is not here is read from the store when next needed. Used on the storage
 * verticle's loop only.
 */
final class SeqCache {

  /** {@code firstWritten} 0: nothing written here since the stream was loaded. */
  private record Entry(long last, long firstWritten) {
  }

  private final Cache<String, Entry> streams;

  SeqCache(int maxStreams) {
    this.streams = Caches.bounded(maxStreams);
  }

  Long get(String stream) {
    Entry entry = streams.getIfPresent(stream);
    return entry == null ? null : entry.last();
  }

  void put(String stream, long seq) {
    Entry entry = streams.getIfPresent(stream);
    streams.put(stream, new Entry(seq, entry == null ? 0 : entry.firstWritten()));
  }

  /** This instance wrote {@code seq} (durably, and announced it live). */
  void wrote(String stream, long seq) {
    Entry entry = streams.getIfPresent(stream);
    if (entry != null && entry.firstWritten() == 0) {
      streams.put(stream, new Entry(entry.last(), seq));
    }
  }

  /** Whether this instance announced {@code seq} live itself (else another owner wrote it, and may have died first). */
  boolean announcedHere(String stream, long seq) {
    Entry entry = streams.getIfPresent(stream);
    return entry != null && entry.firstWritten() > 0 && seq >= entry.firstWritten();
  }

  void forget(String stream) {
    streams.invalidate(stream);
  }

  void forgetIf(Predicate<String> stream) {
    streams.asMap().keySet().removeIf(stream);
  }
}
