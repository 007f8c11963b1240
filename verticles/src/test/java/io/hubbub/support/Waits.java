package io.hubbub.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.function.BooleanSupplier;

/**
 * Waiting, inside a chain of futures, for something asynchronous to be seen, without guessing how long it takes
 * (a test thread that can block uses Awaitility).
 */
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
}
