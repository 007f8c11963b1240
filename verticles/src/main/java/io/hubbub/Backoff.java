package io.hubbub;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait before trying again: doubling from {@code minMs} up to {@code maxMs}, each delay drawn
 * at random from its upper half ("equal jitter"), so that many instances that failed together do not try
 * again together. {@link #reset} after a success. One per retry loop, used on one thread.
 */
public final class Backoff {

  private final long minMs;
  private final long maxMs;
  private int failures;

  public Backoff(long minMs, long maxMs) {
    if (minMs <= 0 || maxMs < minMs) {
      throw new IllegalArgumentException("backoff from " + minMs + " to " + maxMs + " ms");
    }
    this.minMs = minMs;
    this.maxMs = maxMs;
  }

  /** The delay before the next try, counting one more failure. */
  public long next() {
    long ceiling = Math.min(maxMs, minMs << Math.min(failures, 30));
    failures++;
    return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling - ceiling / 2 + 1);
  }

  /** A success: the next failure starts from {@code minMs} again. */
  public void reset() {
    failures = 0;
  }
}
