package io.hubbub.storage;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The last durable seq of recently used streams, bounded (least recently used out). A stream that
 * is not here is read from the store when next needed. Used on the storage verticle's loop only.
 */
final class SeqCache {

  private final Map<String, Long> lastSeq;

  SeqCache(int maxStreams) {
    this.lastSeq = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
        return size() > maxStreams;
      }
    };
  }

  Long get(String stream) {
    return lastSeq.get(stream);
  }

  void put(String stream, long seq) {
    lastSeq.put(stream, seq);
  }

  void forget(String stream) {
    lastSeq.remove(stream);
  }

  void forgetIf(Predicate<String> stream) {
    lastSeq.keySet().removeIf(stream);
  }
}
