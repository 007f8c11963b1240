package io.hubbub.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.function.BooleanSupplier;

/** Waiting for something asynchronous to be seen, without guessing how long it takes. */
public final class Waits {

  private Waits() {
  }

  /** Completes as soon as {@code condition} holds (checked every 10 ms); fails after 10 s. */
  public static Future<Void> until(Vertx vertx, BooleanSupplier condition) {
    Promise<Void> done = Promise.promise();
    long deadline = System.currentTimeMillis() + 10_000;
    vertx.setPeriodic(10, id -> {
      if (condition.getAsBoolean()) {
        vertx.cancelTimer(id);
        done.tryComplete();
      } else if (System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        done.tryFail("not seen within 10 s");
      }
    });
    return done.future();
  }

  /** Blocks the calling test thread until {@code condition} holds (checked every 10 ms); fails after {@code timeoutMs}. */
  public static void until(BooleanSupplier condition, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("not seen within " + timeoutMs + " ms");
      }
      Thread.sleep(10);
    }
  }
}
