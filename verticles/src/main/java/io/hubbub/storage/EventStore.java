package io.hubbub.storage;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.BulkOperation;
import io.vertx.ext.mongo.BulkWriteOptions;
import io.vertx.ext.mongo.FindOptions;
import io.vertx.ext.mongo.IndexOptions;
import io.vertx.ext.mongo.MongoClient;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The events collection: one document per event, {@code {_id, sid, stream, seq, id, type, data, by, ts}},
 * keyed so that every lookup is an exact match on a single-field unique index: {@code _id} is
 * {@code <stream>|<seq, 19 digits>} (unique per stream and seq) and {@code sid} is {@code <stream>|<id>}
 * (unique per stream and id). Reads ask for the ids of a seq range with {@code $in}. (The embedded store
 * answers range and compound-index queries by scanning the whole collection; MongoDB answers these
 * lookups from its indexes too.) Every call gives up after the configured timeout with a 503
 * ({@link StoreCalls}).
 */
final class EventStore {

  static final String EVENTS = "events";
  static final String META = "meta";
  private static final JsonObject EVENT_FIELDS = new JsonObject()
    .put("_id", 0).put("stream", 1).put("seq", 1).put("id", 1).put("type", 1).put("data", 1).put("by", 1).put("ts", 1);

  /** Keys probed at once while looking for a stream's last seq. */
  private static final int PROBES = 64;

  private final MongoClient mongo;
  private final StoreCalls calls;

  EventStore(MongoClient mongo, StoreCalls calls) {
    this.mongo = mongo;
    this.calls = calls;
  }

  Future<Void> ensureIndexes() {
    return calls.guard(mongo.createIndexWithOptions(EVENTS, new JsonObject().put("sid", 1),
      new IndexOptions().unique(true).name("stream_id")));
  }

  static String key(String stream, long seq) {
    return stream + "|" + String.format(Locale.ROOT, "%019d", seq);
  }

  static String idKey(String stream, String id) {
    return stream + "|" + id;
  }

  /**
   * The highest stored seq of a stream, 0 for a stream with no events. Seqs have no gaps, so it is found
   * by probing which keys exist: powers of two first, then ever narrower evenly spaced samples.
   */
  Future<Long> lastSeq(String stream) {
    List<Long> powers = new ArrayList<>();
    for (long p = 1; p > 0 && p <= Long.MAX_VALUE / 2; p *= 2) {
      powers.add(p);
    }
    return existing(stream, powers).compose(found -> {
      long lo = found.stream().max(Long::compare).orElse(0L);
      return lo == 0 ? Future.succeededFuture(0L) : narrow(stream, lo, lo * 2);
    });
  }

  /** The last seq, knowing that {@code lo} exists and {@code hi} does not. */
  private Future<Long> narrow(String stream, long lo, long hi) {
    if (hi - lo <= 1) {
      return Future.succeededFuture(lo);
    }
    List<Long> probes = new ArrayList<>();
    long step = Math.max(1, (hi - lo) / PROBES);
    for (long s = lo + step; s < hi; s += step) {
      probes.add(s);
    }
    return existing(stream, probes).compose(found -> {
      long newLo = found.stream().max(Long::compare).orElse(lo);
      long newHi = probes.stream().filter(p -> p > newLo && !found.contains(p)).min(Long::compare).orElse(hi);
      return narrow(stream, newLo, newHi);
    });
  }

  private Future<List<Long>> existing(String stream, List<Long> seqs) {
    JsonArray keys = new JsonArray(seqs.stream().map(seq -> (Object) key(stream, seq)).toList());
    FindOptions options = new FindOptions().setFields(new JsonObject().put("_id", 0).put("seq", 1));
    return calls.guard(mongo.findWithOptions(EVENTS, new JsonObject().put("_id", new JsonObject().put("$in", keys)), options))
      .map(found -> found.stream().map(doc -> doc.getLong("seq")).toList());
  }

  /** The stored events of a stream that carry one of these ids, whole. */
  Future<List<JsonObject>> withIds(String stream, Collection<String> ids) {
    JsonArray keys = new JsonArray(ids.stream().map(id -> (Object) idKey(stream, id)).toList());
    JsonObject query = new JsonObject().put("sid", new JsonObject().put("$in", keys));
    return calls.guard(mongo.findWithOptions(EVENTS, query, new FindOptions().setFields(EVENT_FIELDS)));
  }

  /** Writes events as one ordered, journaled bulk write: done means on disk. */
  Future<Void> insert(List<JsonObject> documents) {
    List<BulkOperation> inserts = documents.stream().map(doc -> BulkOperation.createInsert(doc.copy()
      .put("_id", key(doc.getString("stream"), doc.getLong("seq")))
      .put("sid", idKey(doc.getString("stream"), doc.getString("id"))))).toList();
    BulkWriteOptions options = new BulkWriteOptions(true).setWriteOption(calls.writes());
    return calls.guard(mongo.bulkWriteWithOptions(EVENTS, inserts, options)).mapEmpty();
  }

  /** Events of a stream with {@code from <= seq <= to}, in order, at most {@code limit}. */
  Future<List<JsonObject>> read(String stream, long from, long to, int limit) {
    long count = Math.min(limit, to - from + 1);
    if (count <= 0) {
      return Future.succeededFuture(List.of());
    }
    JsonArray keys = new JsonArray();
    for (long seq = from; seq < from + count; seq++) {
      keys.add(key(stream, seq));
    }
    FindOptions options = new FindOptions().setFields(EVENT_FIELDS);
    return calls.guard(mongo.findWithOptions(EVENTS, new JsonObject().put("_id", new JsonObject().put("$in", keys)), options))
      .map(found -> {
        List<JsonObject> sorted = new ArrayList<>(found);
        sorted.sort(Comparator.comparingLong(e -> e.getLong("seq")));
        return sorted;
      });
  }

  /**
   * The store's identity: a random id kept in the {@code meta} collection, made by the first storage
   * instance that asks. Storage instances compare it before sharing partitions, so nodes that were
   * pointed at different stores never split one stream between them.
   */
  Future<String> storeId() {
    JsonObject key = new JsonObject().put("_id", "store");
    return calls.guard(mongo.findOne(META, key, null)).compose(found -> {
      if (found != null) {
        return Future.succeededFuture(found.getString("storeId"));
      }
      return calls.guard(mongo.insert(META, key.copy().put("storeId", UUID.randomUUID().toString())))
        .recover(failure -> Future.succeededFuture()) // another instance made it first
        .compose(v -> calls.guard(mongo.findOne(META, key, null)))
        .map(doc -> doc.getString("storeId"));
    });
  }

  Future<Void> ping() {
    return calls.guard(mongo.runCommand("ping", new JsonObject().put("ping", 1))).mapEmpty();
  }
}
