package io.hubbub.storage;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What group commit needs of the store: {@link EventStore} on MongoDB, or a small in-process fake in the
 * unit tests that can fail or delay any call. Failures are protocol failures: 409 ({@code CONFLICT}) when
 * an inserted key is taken, 503 otherwise.
 */
interface EventLog {

  /** The highest stored seq of a stream, 0 for a stream with no events. */
  Future<Long> lastSeq(String stream);

  /**
   * The stored events that carry one of these ids in their stream (ids per stream), whole: one lookup for them all.
   * It finds the ids their publishers gave ({@link #insert}'s {@code idGiven}); an id the server made may not be found.
   */
  Future<List<JsonObject>> withIds(Map<String, ? extends Collection<String>> idsByStream);

  /** The stored events at these seqs of their streams (seqs per stream), whole: one lookup for them all. */
  Future<List<JsonObject>> atSeqs(Map<String, ? extends Collection<Long>> seqsByStream);

  /**
   * Writes events (a stream's in seq order) durably, all or, on a failure, possibly some: a stream's events in one
   * bucket or more, the buckets in order, and those before one refused on a duplicate key (409: a seq or an id of its
   * stream taken) stay written. It changes none of the events and keeps none: they are announced live once written.
   * The ids of the events {@code idGiven} holds are their publishers': those are refused when stored before, and
   * found by {@link #withIds}; any other id the server made, unique by construction.
   */
  Future<Void> insert(List<JsonObject> events, Predicate<JsonObject> idGiven);
}
