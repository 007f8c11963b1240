package io.hubbub.storage;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.BulkOperation;
import io.vertx.ext.mongo.BulkWriteOptions;
import io.vertx.ext.mongo.FindOptions;
import io.vertx.ext.mongo.IndexOptions;
import io.vertx.ext.mongo.MongoClient;
import io.vertx.ext.mongo.WriteOption;

import java.util.Collection;
import java.util.List;

/**
 * The events collection: one document per event, {@code {stream, seq, id, type, data, by, ts}},
 * unique on {@code (stream, seq)} and on {@code (stream, id)}. Every call gives up after the
 * configured timeout with a 503 ({@link StoreCalls}).
 */
final class EventStore {

  static final String EVENTS = "events";
  private static final JsonObject EVENT_FIELDS = new JsonObject()
    .put("_id", 0).put("stream", 1).put("seq", 1).put("id", 1).put("type", 1).put("data", 1).put("by", 1).put("ts", 1);

  private final MongoClient mongo;
  private final StoreCalls calls;

  EventStore(MongoClient mongo, StoreCalls calls) {
    this.mongo = mongo;
    this.calls = calls;
  }

  Future<Void> ensureIndexes() {
    IndexOptions unique = new IndexOptions().unique(true);
    return calls.guard(mongo.createIndexWithOptions(EVENTS, new JsonObject().put("stream", 1).put("seq", 1),
        unique.name("stream_seq")))
      .compose(v -> calls.guard(mongo.createIndexWithOptions(EVENTS, new JsonObject().put("stream", 1).put("id", 1),
        new IndexOptions().unique(true).name("stream_id"))));
  }

  /** The highest stored seq of a stream, 0 for a stream with no events. */
  Future<Long> lastSeq(String stream) {
    FindOptions options = new FindOptions()
      .setSort(new JsonObject().put("seq", -1))
      .setLimit(1)
      .setFields(new JsonObject().put("_id", 0).put("seq", 1));
    return calls.guard(mongo.findWithOptions(EVENTS, new JsonObject().put("stream", stream), options))
      .map(found -> found.isEmpty() ? 0L : found.get(0).getLong("seq"));
  }

  /** The stored events of a stream that carry one of these ids: {@code {stream, seq, id, ts}}. */
  Future<List<JsonObject>> withIds(String stream, Collection<String> ids) {
    JsonObject query = new JsonObject().put("stream", stream).put("id", new JsonObject().put("$in", new JsonArray(List.copyOf(ids))));
    FindOptions options = new FindOptions()
      .setFields(new JsonObject().put("_id", 0).put("stream", 1).put("seq", 1).put("id", 1).put("ts", 1));
    return calls.guard(mongo.findWithOptions(EVENTS, query, options));
  }

  /** Writes events as one ordered, journaled bulk write: done means on disk. */
  Future<Void> insert(List<JsonObject> documents) {
    List<BulkOperation> inserts = documents.stream().map(BulkOperation::createInsert).toList();
    BulkWriteOptions options = new BulkWriteOptions(true).setWriteOption(WriteOption.JOURNALED);
    return calls.guard(mongo.bulkWriteWithOptions(EVENTS, inserts, options)).mapEmpty();
  }

  /** Events of a stream with {@code from <= seq <= to}, in order, at most {@code limit}. */
  Future<List<JsonObject>> read(String stream, long from, long to, int limit) {
    JsonObject query = new JsonObject()
      .put("stream", stream)
      .put("seq", new JsonObject().put("$gte", from).put("$lte", to));
    FindOptions options = new FindOptions()
      .setSort(new JsonObject().put("seq", 1))
      .setLimit(limit)
      .setFields(EVENT_FIELDS);
    return calls.guard(mongo.findWithOptions(EVENTS, query, options));
  }

  Future<Void> ping() {
    return calls.guard(mongo.runCommand("ping", new JsonObject().put("ping", 1))).mapEmpty();
  }
}
