package io.hubbub.storage;

import com.github.benmanes.caffeine.cache.Cache;
import io.hubbub.Caches;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.Predicate;

/**
 * Pages read before they are asked for, for readers going through a stream page after page (a catch-up): once a
 * reader asks for a page that starts where a page it got ended, storage reads the page after it while the reader
 * takes in the one it got, so the two overlap instead of taking turns. A single read (the last messages of a room)
 * never starts one.
 *
 * <p>Bookkeeping only, on the storage verticle's loop; what a page is, and whether one read ahead is still what a
 * read would find, is the caller's ({@code P}: a future page, in storage). At most {@code max} pages are held at
 * once, the oldest dropped first, each for at most {@code maxAgeMillis}; a page is taken by the one read it was
 * made for. History is immutable but for cuts, which a read's start already steps over (a page from below a cut is
 * asked for by another key), and redactions, which change events in place: the caller forgets a stream's pages
 * before and after redacting it, and a partition's when it changes owner.
 */
final class ReadAhead<P> {

  /** A read: a stream's events from {@code from}, at most {@code limit}. */
  record Key(String stream, long from, int limit) {
  }

  /** A page read ahead while the stream's last seq was {@code last}, at {@code atMillis}. */
  record Ahead<P>(P page, long last, long atMillis) {
  }

  /** How many page ends {@link #ends} remembers. */
  private static final int ENDS = 4_096;

  private final int max;
  private final long maxAgeMillis;
  /** Oldest first. */
  private final LinkedHashMap<Key, Ahead<P>> pages = new LinkedHashMap<>();
  /** Where pages answered lately ended: a read from there is a reader going on. */
  private final Cache<Key, Boolean> ends = Caches.bounded(ENDS);
  private long taken;
  private long dropped;

  /** {@code max} 0 reads nothing ahead. */
  ReadAhead(int max, long maxAgeMillis) {
    this.max = max;
    this.maxAgeMillis = maxAgeMillis;
  }

  /**
   * The page read ahead for this read, taken (it serves one read), or null: none, or too old. The caller says whether
   * it served the read ({@link #served}) or not ({@link #refused}).
   */
  Ahead<P> take(Key read, long nowMillis) {
    Ahead<P> ahead = pages.remove(read);
    if (ahead != null && nowMillis - ahead.atMillis() > maxAgeMillis) {
      dropped++;
      return null;
    }
    return ahead;
  }

  /**
   * A page was answered for {@code read}; the next starts at {@code next}, and the stream's last seq is
   * {@code last}. Answers the read to make ahead, from {@code next}, when the reader is going on through the stream
   * (this read started where a page answered earlier ended) and there is more; else null.
   */
  Key answered(Key read, long next, long last) {
    boolean goingOn = ends.asMap().remove(read) != null;
    if (max == 0 || next > last) {
      return null; // at the end: what comes next is live
    }
    Key following = new Key(read.stream(), next, read.limit());
    ends.put(following, Boolean.TRUE);
    return goingOn && !pages.containsKey(following) ? following : null;
  }

  /** Holds a page read ahead for {@code read}, dropping those too old and, when full, the oldest. */
  void put(Key read, P page, long last, long nowMillis) {
    expire(nowMillis);
    if (pages.size() >= max) {
      Iterator<Key> oldest = pages.keySet().iterator();
      oldest.next();
      oldest.remove();
      dropped++;
    }
    pages.remove(read); // put again: now the youngest
    pages.put(read, new Ahead<>(page, last, nowMillis));
  }

  /** Drops the pages older than the max age. */
  void expire(long nowMillis) {
    for (Iterator<Ahead<P>> it = pages.values().iterator(); it.hasNext(); ) {
      if (nowMillis - it.next().atMillis() <= maxAgeMillis) {
        return; // the rest are younger
      }
      it.remove();
      dropped++;
    }
  }

  /** Drops the pages of the streams that match, and forgets where their readers were. */
  void forgetIf(Predicate<String> stream) {
    for (Iterator<Key> it = pages.keySet().iterator(); it.hasNext(); ) {
      if (stream.test(it.next().stream())) {
        it.remove();
        dropped++;
      }
    }
    ends.asMap().keySet().removeIf(key -> stream.test(key.stream()));
  }

  /** A page taken served the read it was made for. */
  void served() {
    taken++;
  }

  /** A page taken was not what the read finds now (it failed, or ended at a last seq passed since): dropped. */
  void refused() {
    dropped++;
  }

  /** Pages held now. */
  int size() {
    return pages.size();
  }

  /** Pages read ahead that served the read they were made for. */
  long taken() {
    return taken;
  }

  /** Pages read ahead and dropped unread: too old, no room, forgotten, or not what their read found. */
  long dropped() {
    return dropped;
  }
}
