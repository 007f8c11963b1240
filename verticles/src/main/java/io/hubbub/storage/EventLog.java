package io.hubbub.storage;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * What group commit needs of the store: {@link EventStore} on MongoDB, or a small in-process fake in the
 * unit tests that can fail or delay any call. Failures are protocol failures: 409 ({@code CONFLICT}) when
 * an inserted key is taken, 503 otherwise.
 */
interface EventLog {

  /** The highest stored seq of a stream, 0 for a stream with no events. */
  Future<Long> lastSeq(String stream);

  /** The stored events that carry one of these ids in their stream (ids per stream), whole: one lookup for them all. */
  Future<List<JsonObject>> withIds(Map<String, ? extends Collection<String>> idsByStream);

  /**
   * Writes events (a stream's in seq order) durably, all or, on a failure, possibly some: a stream's events in one
   * bucket or more, the buckets in order, and those before one refused on a duplicate key (409: a seq or an id of its
   * stream taken) stay written. It changes none of the events and keeps none: they are announced live once written.
   */
  Future<Void> insert(List<JsonObject> events);
}
