package io.hubbub.limit;

import com.hazelcast.map.ExtendedMapEntry;
import io.hubbub.bus.Failures;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sliding window step by step, and the limit over windows in memory or failing on cue. */
class SharedRateLimitTest {

  private final AtomicInteger failures = new AtomicInteger();
  private final SharedRateLimit.InMemory memory = new SharedRateLimit.InMemory();
  private final SharedRateLimit limit = new SharedRateLimit((key, window) -> failures.getAndDecrement() > 0
    ? Future.failedFuture("cluster hiccup") : memory.step(key, window), 3, 60_000);

  private long acquire(String key) throws Exception {
    return limit.acquire(key).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private int failureCode(String key) throws Exception {
    try {
      acquire(key);
      return 0;
    } catch (Exception e) {
      return Failures.code(e.getCause());
    }
  }

  @Test
  void allowsMaxPerWindowThenSaysHowLongToWait() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertEquals(0L, acquire("alice"));
    }
    assertThat(acquire("alice")).as("seconds to wait").isBetween(59L, 60L);
    assertEquals(0L, acquire("bob"), "each key has its own window");
  }

  @Test
  void aFailingStoreIsA503AndTheNextCallTriesAgain() throws Exception {
    failures.set(2);
    assertEquals(Failures.UNAVAILABLE, failureCode("alice"));
    assertEquals(Failures.UNAVAILABLE, failureCode("alice"));
    assertEquals(0L, acquire("alice"));
  }

  @Test
  void theWindowSlides() {
    String value = null;
    for (long t = 0; t < 3_000; t += 1_000) { // three in the first three seconds
      SlidingWindow.Step step = new SlidingWindow(3, 10_000, t).next(value);
      assertEquals(0, step.waitSeconds());
      value = step.value();
    }
    assertEquals("0,1000,2000", value);
    SlidingWindow.Step refused = new SlidingWindow(3, 10_000, 9_500).next(value);
    assertEquals(1, refused.waitSeconds(), "the oldest leaves the window at 10 s: wait 0.5 s, rounded up");
    assertEquals(value, refused.value(), "a refusal is not counted");
    SlidingWindow.Step later = new SlidingWindow(3, 10_000, 10_000).next(value);
    assertEquals(0, later.waitSeconds(), "the first has left the window");
    assertEquals("1000,2000,10000", later.value());
    assertEquals("", new SlidingWindow(3, 10_000, 20_000).trim(later.value()), "all have left");
  }

  @Test
  void asAnEntryProcessorItSetsTheEntryWithTheWindowAsItsTimeToLive() {
    Entry entry = new Entry(null);
    assertEquals(0L, new SlidingWindow(1, 5_000, 100).process(entry));
    assertEquals("100", entry.value);
    assertEquals(5_000, entry.ttlMs);
    entry.ttlMs = -1;
    assertEquals(5L, new SlidingWindow(1, 5_000, 200).process(entry));
    assertEquals("100", entry.value, "a refusal leaves the entry as it was");
    assertEquals(-1, entry.ttlMs, "and its expiry");
    assertNull(new Entry(null).getValue());
  }

  /** A Hazelcast map entry as the processor sees it. */
  private static final class Entry implements ExtendedMapEntry<String, String> {
    private String value;
    private long ttlMs = -1;

    Entry(String value) {
      this.value = value;
    }

    @Override
    public String getKey() {
      return "alice";
    }

    @Override
    public String getValue() {
      return value;
    }

    @Override
    public String setValue(String value) {
      throw new AssertionError("the entry is set with its time to live");
    }

    @Override
    public String setValue(String value, long ttl, TimeUnit unit) {
      String old = this.value;
      this.value = value;
      this.ttlMs = unit.toMillis(ttl);
      return old;
    }

    @Override
    public String setValueWithoutChangingExpiryTime(String value) {
      throw new AssertionError("the entry is set with its time to live");
    }
  }
}
