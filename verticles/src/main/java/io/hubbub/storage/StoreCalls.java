package io.hubbub.storage;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoWriteException;
import io.hubbub.bus.Failures;
import io.vertx.core.Future;
import io.vertx.ext.mongo.WriteOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * Bounds every store call by the configured timeout and turns store errors into protocol failures:
 * duplicate keys into 409, anything else into 503. A store that does not answer never holds a caller.
 */
final class StoreCalls {

  private static final Logger log = LoggerFactory.getLogger(StoreCalls.class);

  private final long timeoutMs;
  private final WriteOption writes;

  /**
   * @param writes the write concern of every write: {@code JOURNALED} (on disk before the answer), or null to
   *               take the connection string's ({@code w=majority&journal=true} for a replica set)
   */
  StoreCalls(long timeoutMs, WriteOption writes) {
    this.timeoutMs = timeoutMs;
    this.writes = writes;
  }

  /** The write concern for writes: an acknowledged write must survive a crash. */
  WriteOption writes() {
    return writes;
  }

  /** Journaled writes, unless the connection string names its own write concern ({@code w=}). */
  static WriteOption writesFor(String uri) {
    return uri != null && uri.matches("(?i).*[?&]w=.*") ? null : WriteOption.JOURNALED;
  }

  <T> Future<T> guard(Future<T> call) {
    return call.timeout(timeoutMs, TimeUnit.MILLISECONDS).recover(StoreCalls::failure);
  }

  private static <T> Future<T> failure(Throwable failure) {
    if (isDuplicateKey(failure)) {
      return Future.failedFuture(Failures.of(Failures.CONFLICT, "duplicate key"));
    }
    log.warn("store call failed [error: {}]", failure.toString());
    return Future.failedFuture(Failures.unavailable("storage unavailable, retry later"));
  }

  static boolean isDuplicateKey(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof MongoBulkWriteException bulk) {
        return bulk.getWriteErrors().stream()
          .anyMatch(e -> ErrorCategory.fromErrorCode(e.getCode()) == ErrorCategory.DUPLICATE_KEY);
      }
      if (t instanceof MongoWriteException write) {
        return write.getError().getCategory() == ErrorCategory.DUPLICATE_KEY;
      }
    }
    return false;
  }
}
