package io.hubbub.auth;

import io.hubbub.bus.Failures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

import java.util.concurrent.Callable;

/**
 * Password hashing on its own small worker pool, so a flood of logins cannot take the shared workers
 * (store start, other blocking work) nor queue without end: past {@code maxQueued} waiting hashes an
 * attempt is refused at once with 503, and a hash that only finishes after {@code deadlineMs} is not acted
 * on (the caller has given up by then, so nothing is written behind its back).
 */
final class Hashing {

  private final WorkerExecutor pool;
  private final int maxQueued;
  private final long deadlineMs;
  private int queued;

  Hashing(Vertx vertx, int threads, int maxQueued, long deadlineMs) {
    this.pool = vertx.createSharedWorkerExecutor("hubbub-password-hashing", threads);
    this.maxQueued = maxQueued;
    this.deadlineMs = deadlineMs;
  }

  <T> Future<T> run(Callable<T> work) {
    if (queued >= maxQueued) {
      return Future.failedFuture(Failures.unavailable("too many logins and sign-ups at once: retry in a moment"));
    }
    queued++;
    long started = System.currentTimeMillis();
    return pool.executeBlocking(work, false)
      .andThen(done -> queued--)
      .compose(result -> System.currentTimeMillis() - started > deadlineMs
        ? Future.failedFuture(Failures.unavailable("too many logins and sign-ups at once: retry in a moment"))
        : Future.succeededFuture(result));
  }

  Future<Void> close() {
    return pool.close();
  }
}
