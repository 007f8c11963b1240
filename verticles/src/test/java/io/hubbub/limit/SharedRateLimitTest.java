package io.hubbub.limit;

import io.hubbub.bus.Failures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.Lock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cluster-wide limit over this JVM's shared data, with the map and the locks failing on cue. */
class SharedRateLimitTest {

  private final Vertx vertx = Vertx.vertx();
  private final AtomicInteger mapFailures = new AtomicInteger();
  private final AtomicInteger lockFailures = new AtomicInteger();
  private final SharedRateLimit limit = new SharedRateLimit(
    () -> mapFailures.getAndDecrement() > 0 ? Future.<AsyncMap<String, String>>failedFuture("cluster hiccup")
      : vertx.sharedData().getAsyncMap("test.rate"),
    key -> lockFailures.getAndDecrement() > 0 ? Future.<Lock>failedFuture("lock timeout")
      : vertx.sharedData().getLockWithTimeout(key, 1_000),
    "test.rate", 3, 60_000);

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private long acquire(String key) throws Exception {
    return limit.acquire(key).await(5, TimeUnit.SECONDS);
  }

  private int failureCode(String key) throws Exception {
    try {
      acquire(key);
      return 0;
    } catch (Exception e) {
      return Failures.code(e);
    }
  }

  @Test
  void allowsMaxPerWindowThenSaysHowLongToWait() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertEquals(0L, acquire("alice"));
    }
    long wait = acquire("alice");
    assertTrue(wait >= 59 && wait <= 60, "seconds to wait: " + wait);
    assertEquals(0L, acquire("bob"), "each key has its own window");
  }

  @Test
  void recoversAfterTheSharedMapFailedOnce() throws Exception {
    mapFailures.set(1);
    assertEquals(Failures.UNAVAILABLE, failureCode("alice"));
    assertEquals(0L, acquire("alice"), "the next call asks for the map again");
    assertEquals(0L, acquire("alice"));
  }

  @Test
  void recoversAfterALockTimedOut() throws Exception {
    lockFailures.set(2);
    assertEquals(Failures.UNAVAILABLE, failureCode("alice"));
    assertEquals(Failures.UNAVAILABLE, failureCode("alice"));
    assertEquals(0L, acquire("alice"));
  }
}
