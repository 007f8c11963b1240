package io.hubbub.storage;

import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.hubbub.support.TestStore;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.FindOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bucket layout: a group commit's events of a stream are one document, split at
 * {@value EventStore#MAX_BUCKET_EVENTS} events; a storage instance that knows nothing of a stream (a
 * restart, a new owner) finds its end, reads from any seq and recognises any stored id.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BucketsTest {

  private static final String STREAM = "app.buckets";

  private Vertx vertx;
  private JsonObject conf;
  private TestNode node;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    conf = TestConf.only(TestConf.node(), "storage");
    node = TestNode.start(vertx, conf).await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      node.stop().await(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private JsonArray append(String stream, String idPrefix, int count) throws Exception {
    JsonArray events = new JsonArray();
    for (int i = 1; i <= count; i++) {
      events.add(new JsonObject().put("stream", stream).put("type", "E").put("id", idPrefix + i)
        .put("data", new JsonObject().put("n", i).put("text", "é" + i)).put("by", "tester"));
    }
    return StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.APPEND.address(), appendRequest(events), 10_000)
      .await(10, TimeUnit.SECONDS).getJsonArray("results");
  }

  private JsonObject read(long from, int limit) throws Exception {
    return StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.READ.address(),
      new StorageBus.Read(STREAM, from, limit).toJson(), 10_000).await(10, TimeUnit.SECONDS);
  }

  /** 1..435 in buckets of 128, 128, 44 (a batch of 300), five of 1 (one at a time), 128 and 2 (a batch of 130). */
  private void appendBucketsOfEverySize() throws Exception {
    append(STREAM, "a", 300);          // 1..300: buckets of 128, 128, 44
    for (int i = 1; i <= 5; i++) {
      append(STREAM, "s" + i + "-", 1); // 301..305: one each
    }
    append(STREAM, "b", 130);          // 306..435: 128, 2
  }

  private void restart() throws Exception {
    node = node.restart().await(30, TimeUnit.SECONDS);
  }

  @Test
  void batchesAreBucketsThatAFreshInstanceReadsFromAnySeq() throws Exception {
    appendBucketsOfEverySize();

    List<JsonObject> buckets = bucketsOf(STREAM);
    List<String> shapes = buckets.stream().map(b -> b.getLong("first") + "-" + b.getLong("last")
      + ":" + b.getJsonArray("events").size() + "/" + b.getJsonArray("sids").size()).toList();
    // sids: each event's id (all given here), in a new store's index (sparse) without the bucket's own key
    assertEquals(List.of("1-128:128/128", "129-256:128/128", "257-300:44/44", "301-301:1/1", "302-302:1/1", "303-303:1/1",
      "304-304:1/1", "305-305:1/1", "306-433:128/128", "434-435:2/2"), shapes);
    assertEquals("app.buckets|0000000000000000306", buckets.get(8).getString("_id"), "the stored key format");
    assertEquals("b1|app.buckets", buckets.get(8).getJsonArray("sids").getString(0), "an id's key");
    assertEquals(true, idsIndex().getValue("sparse"), "a new store's ids index");
    // ids the server makes are not indexed: a bucket of only such events holds no sids
    appendWithoutIds("app.made", 130);
    List<JsonObject> made = bucketsOf("app.made");
    assertEquals(List.of("app.made|0000000000000000001", "app.made|0000000000000000129"),
      made.stream().map(b -> b.getString("_id")).toList());
    assertEquals(List.of(false, false), made.stream().map(b -> b.containsKey("sids")).toList());
    // inserted as BSON encoded by storage itself: read back through vertx-mongo-client as the document it was made from
    JsonObject stored = buckets.get(9);
    List<JsonObject> itsEvents = stored.getJsonArray("events").stream().map(e -> (JsonObject) e).toList();
    assertEquals(EventStore.bucket(STREAM, itsEvents, EventStore.EVERY_ID, false), stored,
      "every field and type as made, one _id");
    assertEquals(List.of("_id", "stream", "first", "last", "ts", "sids", "events"), new ArrayList<>(stored.fieldNames()));
    assertEquals(Integer.class, itsEvents.get(0).getJsonObject("data").getValue("n").getClass(), "numbers keep their BSON type");

    restart();
    JsonObject meta = StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.META.address(),
      new JsonObject().put("stream", STREAM), 10_000).await(10, TimeUnit.SECONDS);
    assertEquals(435, meta.getLong("lastSeq"), "found from the buckets");
    for (long from : new long[] {1, 2, 128, 129, 200, 256, 257, 300, 301, 303, 305, 306, 400, 433, 434, 435}) {
      for (int limit : new int[] {1, 7, 1000}) {
        JsonObject page = read(from, limit);
        long to = Math.min(435, from + limit - 1);
        List<Long> seqs = page.getJsonArray("events").stream().map(e -> ((JsonObject) e).getLong("seq")).toList();
        assertEquals(LongStream.rangeClosed(from, to).boxed().toList(), seqs, "from " + from + ", limit " + limit);
        assertEquals(to + 1, page.getLong("next"));
        assertEquals(435, page.getLong("lastSeq"));
      }
    }
    assertTrue(read(436, 10).getJsonArray("events").isEmpty(), "nothing after the end");
    JsonObject event = read(200, 1).getJsonArray("events").getJsonObject(0);
    assertEquals(List.of("stream", "seq", "id", "type", "data", "by", "ts"), new ArrayList<>(event.fieldNames()));
    assertEquals(new JsonObject().put("n", 200).put("text", "é200"), event.getJsonObject("data"), "returned as given");
    assertEquals("a200", event.getString("id"));

    restart();
    JsonArray retried = append(STREAM, "a", 300); // every id again, from the middle of buckets: nothing new
    for (int i = 0; i < 300; i++) {
      assertEquals(i + 1, retried.getJsonObject(i).getLong("seq"));
      assertEquals(true, retried.getJsonObject(i).getBoolean("duplicate"));
    }
    assertEquals(436, append(STREAM, "c", 1).getJsonObject(0).getLong("seq"), "a new id lands after the end");
  }

  /** The store's index on {@code sids}, as it lists it. */
  private JsonObject idsIndex() throws Exception {
    return idsIndex(node.db());
  }

  /** The index on {@code sids} of the store {@code db} reads, as it lists it. */
  static JsonObject idsIndex(io.vertx.ext.mongo.MongoClient db) throws Exception {
    JsonArray indexes = db.listIndexes(EventStore.BUCKETS).await(10, TimeUnit.SECONDS);
    return indexes.stream().map(i -> (JsonObject) i).filter(i -> EventStore.IDS_INDEX.equals(i.getString("name")))
      .findFirst().orElseThrow();
  }

  private List<JsonObject> bucketsOf(String stream) throws Exception {
    return node.db().findWithOptions(EventStore.BUCKETS, new JsonObject().put("stream", stream),
      new FindOptions().setSort(new JsonObject().put("first", 1))).await(10, TimeUnit.SECONDS);
  }

  private JsonArray appendWithoutIds(String stream, int count) throws Exception {
    JsonArray events = new JsonArray();
    for (int i = 0; i < count; i++) {
      events.add(new JsonObject().put("stream", stream).put("type", "E").put("data", new JsonObject()).put("by", "t"));
    }
    return StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.APPEND.address(),
      appendRequest(events), 10_000).await(10, TimeUnit.SECONDS).getJsonArray("results");
  }

  /**
   * A store whose ids index was made before it was sparse keeps it so, and each bucket keeps its own key there: two
   * buckets without an id their publisher gave do not collide on the missing key. With that index dropped while
   * nothing appends, the next start makes it sparse, and the ids stored before are still refused as duplicates.
   */
  @Test
  void aStoreWhoseIdsIndexIsNotSparseKeepsItAndTheBucketsKeepTheirOwnKeys() throws Exception {
    node.stop().await(30, TimeUnit.SECONDS);
    conf = TestConf.only(TestConf.node(), "storage"); // a database of its own, its index made as before 2026-12-08
    JsonObject mongo = conf.getJsonObject("mongo");
    io.vertx.ext.mongo.MongoClient before = io.vertx.ext.mongo.MongoClient.create(vertx, new JsonObject()
      .put("connection_string", mongo.getString("uri")).put("db_name", mongo.getString("database")));
    try {
      before.createIndexWithOptions(EventStore.BUCKETS, new JsonObject().put("sids", 1),
        new io.vertx.ext.mongo.IndexOptions().unique(true).name(EventStore.IDS_INDEX)).await(10, TimeUnit.SECONDS);
    } finally {
      before.close().await(10, TimeUnit.SECONDS);
    }
    node = TestNode.start(vertx, conf).await(30, TimeUnit.SECONDS);

    assertEquals(null, idsIndex().getValue("sparse"), "kept as it was");
    assertEquals(List.of(1L, 2L), appendWithoutIds("app.old", 2).stream().map(r -> ((JsonObject) r).getLong("seq")).toList());
    assertEquals(3L, appendWithoutIds("app.old", 1).getJsonObject(0).getLong("seq"));
    assertEquals(1L, appendWithoutIds("app.other", 1).getJsonObject(0).getLong("seq"));
    assertEquals(1L, append("app.given", "g", 1).getJsonObject(0).getLong("seq"));
    assertEquals(List.of(List.of("|app.old|0000000000000000001"), List.of("|app.old|0000000000000000003")),
      bucketsOf("app.old").stream().map(b -> b.getJsonArray("sids").getList()).toList(), "each bucket's own key");
    assertEquals(List.of("|app.given|0000000000000000001", "g1|app.given"),
      bucketsOf("app.given").get(0).getJsonArray("sids").getList());

    node.db().dropIndex(EventStore.BUCKETS, EventStore.IDS_INDEX).await(10, TimeUnit.SECONDS);
    restart();
    assertEquals(true, idsIndex().getValue("sparse"), "made again, sparse");
    assertEquals(4L, appendWithoutIds("app.old", 1).getJsonObject(0).getLong("seq"));
    assertEquals(5L, appendWithoutIds("app.old", 1).getJsonObject(0).getLong("seq"));
    assertEquals(List.of(true, true, false, false), bucketsOf("app.old").stream().map(b -> b.containsKey("sids")).toList(),
      "the buckets written since hold no sids");
    JsonObject again = append("app.given", "g", 2).getJsonObject(0);
    assertEquals(1L, again.getLong("seq"), "an id stored before");
    assertEquals(true, again.getBoolean("duplicate"));
    assertEquals(List.of("g2|app.given"), bucketsOf("app.given").get(1).getJsonArray("sids").getList());
  }

  /**
   * A reader going on page after page from where the last stopped (storage then asks for the bucket it stopped in and
   * those after it, not for every key before) gets every seq once, in order, whatever the pages' sizes; a bucket
   * storage remembers that is gone since (here rewritten behind its back) is looked for again.
   */
  @Test
  void pageAfterPageEverySeqComesOnceAndAMovedBucketIsFoundAgain() throws Exception {
    appendBucketsOfEverySize();
    for (int limit : new int[] {1, 7, 44, 128, 129, 1000}) {
      List<Long> seqs = new ArrayList<>();
      for (long from = 1; from <= 435; ) {
        JsonObject page = read(from, limit);
        page.getJsonArray("events").forEach(e -> seqs.add(((JsonObject) e).getLong("seq")));
        assertTrue(page.getLong("next") > from, "moves on from " + from + ", limit " + limit);
        from = page.getLong("next");
      }
      assertEquals(LongStream.rangeClosed(1, 435).boxed().toList(), seqs, "limit " + limit);
    }

    assertEquals(261, read(257, 4).getLong("next"), "storage now knows of the bucket 257-300");
    String key = STREAM + "|0000000000000000257";
    JsonObject bucket = node.db().findOne(EventStore.BUCKETS, new JsonObject().put("_id", key), null).await(10, TimeUnit.SECONDS);
    List<JsonObject> events = bucket.getJsonArray("events").stream().map(e -> (JsonObject) e).toList();
    node.db().removeDocument(EventStore.BUCKETS, new JsonObject().put("_id", key)).await(10, TimeUnit.SECONDS);
    node.db().insert(EventStore.BUCKETS, EventStore.bucket(STREAM, events.subList(0, 2))).await(10, TimeUnit.SECONDS);
    node.db().insert(EventStore.BUCKETS, EventStore.bucket(STREAM, events.subList(2, 44))).await(10, TimeUnit.SECONDS);
    List<Long> seqs = read(261, 10).getJsonArray("events").stream().map(e -> ((JsonObject) e).getLong("seq")).toList();
    assertEquals(LongStream.rangeClosed(261, 270).boxed().toList(), seqs, "found in the buckets 257-258 and 259-300");
  }

  @Test
  void aLongStreamFindsItsEndAndReadsAnywhere() throws Exception {
    // a long stream's buckets, written straight to the store: 1..200,003 in buckets of 100 and a last one of 3
    String stream = "app.long";
    for (long first = 1; first <= 200_001; first += 50_000) {
      List<io.vertx.ext.mongo.BulkOperation> inserts = new ArrayList<>();
      for (long b = first; b < Math.min(first + 50_000, 200_002); b += 100) {
        List<JsonObject> events = new ArrayList<>();
        for (long seq = b; seq < b + (b == 200_001 ? 3 : 100); seq++) {
          events.add(new JsonObject().put("seq", seq).put("id", "i" + seq).put("type", "E").put("data", new JsonObject())
            .put("by", "tester").put("ts", "2026-11-23T00:00:00.000Z"));
        }
        inserts.add(io.vertx.ext.mongo.BulkOperation.createInsert(EventStore.bucket(stream, events)));
      }
      node.db().bulkWrite(EventStore.BUCKETS, inserts).await(60, TimeUnit.SECONDS);
    }
    JsonObject page = StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.READ.address(),
      new StorageBus.Read(stream, 123_456, 1000).toJson(), 10_000).await(10, TimeUnit.SECONDS);
    assertEquals(200_003, page.getLong("lastSeq"), "found from the buckets");
    assertEquals(LongStream.range(123_456, 124_456).boxed().toList(),
      page.getJsonArray("events").stream().map(e -> ((JsonObject) e).getLong("seq")).toList());
    JsonObject dup = StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.APPEND.address(),
      appendRequest(new JsonArray().add(new JsonObject().put("stream", stream).put("type", "E").put("id", "i150001")
        .put("data", new JsonObject()).put("by", "tester"))), 10_000).await(10, TimeUnit.SECONDS);
    assertEquals(150_001, dup.getJsonArray("results").getJsonObject(0).getLong("seq"), "an old id is found");
    assertEquals(200_004, append(stream, "new", 1).getJsonObject(0).getLong("seq"));
  }

  @Test
  void aStoreInTheOldOneDocumentPerEventLayoutIsRefused() throws Exception {
    JsonObject old = TestConf.only(TestConf.node(), "storage");
    Vertx other = Vertx.vertx(); // this test's node alone on its bus
    io.vertx.ext.mongo.MongoClient db = io.vertx.ext.mongo.MongoClient.create(other, new JsonObject()
      .put("connection_string", TestStore.uri()).put("db_name", old.getJsonObject("mongo").getString("database")));
    try {
      db.insert(EventStore.LEGACY_EVENTS, new JsonObject().put("_id", "app.old|0000000000000000001").put("stream", "app.old")
        .put("seq", 1)).await(10, TimeUnit.SECONDS);
      TestNode refused = TestNode.start(other, old).await(30, TimeUnit.SECONDS);
      try {
        Thread.sleep(500);
        Throwable failure = StorageBus.request(other.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.APPEND.address(),
            appendRequest(new JsonArray().add(new JsonObject().put("stream", "app.old").put("type", "E")
              .put("data", new JsonObject()).put("by", "tester"))), 5_000)
          .transform(r -> io.vertx.core.Future.succeededFuture(r.cause())).await(10, TimeUnit.SECONDS);
        assertEquals(503, Failures.code(failure), "no partition is served on a store this version cannot read: " + failure);
        assertEquals(0L, db.count(EventStore.BUCKETS, new JsonObject()).await(10, TimeUnit.SECONDS), "nothing written beside it");
        assertEquals(1L, db.count(EventStore.LEGACY_EVENTS, new JsonObject()).await(10, TimeUnit.SECONDS), "the old data untouched");
      } finally {
        refused.stop().await(30, TimeUnit.SECONDS);
      }
    } finally {
      db.close().await(10, TimeUnit.SECONDS);
      other.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** An append request as it travels on the bus (some of these tests send ones that break its contract). */
  private static JsonObject appendRequest(JsonArray events) {
    return new JsonObject().put("events", events);
  }
}
