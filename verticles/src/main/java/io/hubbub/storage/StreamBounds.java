package io.hubbub.storage;

import com.github.benmanes.caffeine.cache.Cache;
import io.hubbub.Caches;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.BulkOperation;
import io.vertx.ext.mongo.BulkWriteOptions;
import io.vertx.ext.mongo.MongoClient;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Where each stream's history starts: the {@code streams} collection, one {@code {_id: <stream>, firstSeq, floor}}
 * per stream. {@code firstSeq} is the oldest seq readers see (1 until retention or a truncation drops events);
 * {@code floor} the lowest seq whose bucket may still be on disk: below {@code firstSeq} only while a drop is under
 * way, or was cut short by a crash (the next drop finishes it). Written when a stream gets its first event (so
 * retention can list the streams) and when its history is cut; only the owner of the stream's partition writes its
 * entry. Recently used entries are cached, and forgotten with their partition (another owner may cut them).
 * Used on the storage verticle's loop only.
 */
final class StreamBounds {

  static final String STREAMS = "streams";

  /** A stream's bounds; {@link #START} for a stream nothing was ever dropped from. */
  record Bounds(long firstSeq, long floor) {
    static final Bounds START = new Bounds(1, 1);
  }

  private final MongoClient mongo;
  private final StoreCalls calls;
  private final Cache<String, Bounds> cache;

  StreamBounds(MongoClient mongo, StoreCalls calls, int maxCached) {
    this.mongo = mongo;
    this.calls = calls;
    this.cache = Caches.bounded(maxCached);
  }

  Future<Bounds> get(String stream) {
    Bounds cached = cache.getIfPresent(stream);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return calls.guard(mongo.findOne(STREAMS, id(stream), null)).map(found -> {
      Bounds bounds = found == null ? Bounds.START : new Bounds(found.getLong("firstSeq", 1L), found.getLong("floor", 1L));
      cache.put(stream, bounds);
      return bounds;
    });
  }

  /** Lists new streams (their first event is being written): an entry each, unless one is there already. */
  Future<Void> created(Collection<String> streams) {
    if (streams.isEmpty()) {
      return Future.succeededFuture();
    }
    List<BulkOperation> upserts = new ArrayList<>();
    JsonObject start = new JsonObject().put("$setOnInsert", new JsonObject().put("firstSeq", 1L).put("floor", 1L));
    streams.forEach(stream -> upserts.add(BulkOperation.createUpdate(id(stream), start, true, false)));
    BulkWriteOptions options = new BulkWriteOptions(false).setWriteOption(calls.writes());
    return calls.guard(mongo.bulkWriteWithOptions(STREAMS, upserts, options)).mapEmpty();
  }

  /** Writes a stream's bounds durably, then caches them. */
  Future<Void> save(String stream, Bounds bounds) {
    JsonObject doc = id(stream).put("firstSeq", bounds.firstSeq()).put("floor", bounds.floor());
    BulkWriteOptions options = new BulkWriteOptions(true).setWriteOption(calls.writes());
    return calls.guard(mongo.bulkWriteWithOptions(STREAMS, List.of(BulkOperation.createReplace(id(stream), doc, true)), options))
      .onSuccess(done -> cache.put(stream, bounds))
      .mapEmpty();
  }

  /** Every listed stream, with its bounds as stored. */
  Future<Map<String, Bounds>> list() {
    return calls.guard(mongo.find(STREAMS, new JsonObject())).map(docs -> {
      Map<String, Bounds> all = new TreeMap<>();
      docs.forEach(doc -> all.put(doc.getString("_id"), new Bounds(doc.getLong("firstSeq", 1L), doc.getLong("floor", 1L))));
      return all;
    });
  }

  /**
   * Lists the streams of a store written before streams were listed (a one-time scan of the buckets' stream
   * names, at the first start of this version), then notes in {@code meta} that it is done.
   */
  Future<Void> listExisting() {
    JsonObject marker = new JsonObject().put("_id", "streams-listed");
    return calls.guard(mongo.findOne(EventStore.META, marker, null)).compose(done -> done != null ? Future.succeededFuture()
      // not bounded by the store call timeout: on a large store the scan takes as long as it takes, once
      : mongo.distinct(EventStore.BUCKETS, "stream", String.class.getName())
        .compose(names -> created(names.stream().map(String.class::cast).toList()))
        .compose(v -> calls.guard(mongo.save(EventStore.META, marker.copy().put("at", System.currentTimeMillis()))))
        .mapEmpty());
  }

  void forget(String stream) {
    cache.invalidate(stream);
  }

  void forgetIf(Predicate<String> stream) {
    cache.asMap().keySet().removeIf(stream);
  }

  private static JsonObject id(String stream) {
    return new JsonObject().put("_id", stream);
  }
}
