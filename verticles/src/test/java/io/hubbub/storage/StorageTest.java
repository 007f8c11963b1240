package io.hubbub.storage;

import io.hubbub.bus.Bus;
import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageClient;
import io.hubbub.bus.Streams;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The storage verticle through its bus contract, on the real store. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class StorageTest {

  private TestNode node;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext ctx) {
    TestNode.start(vertx, TestConf.only(TestConf.node(), "storage"))
      .onComplete(ctx.succeeding(n -> {
        node = n;
        ctx.completeNow();
      }));
  }

  @AfterEach
  void undeploy(VertxTestContext ctx) {
    node.stop().onComplete(ctx.succeedingThenComplete());
  }

  private Future<JsonObject> append(Vertx vertx, JsonObject... events) {
    return storage(vertx, StorageBus.APPEND.address(), appendRequest(new JsonArray(List.of((Object[]) events))));
  }

  /** Sends to the owner of the request's partition, as every caller of storage does. */
  private static Future<JsonObject> storage(Vertx vertx, String address, JsonObject body) {
    return StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, address, body, 10_000);
  }

  private static JsonObject event(String stream, String type) {
    return new JsonObject().put("stream", stream).put("type", type).put("data", new JsonObject().put("n", 1)).put("by", "tester");
  }

  @Test
  void concurrentPublishersToOneStreamGetConsecutiveSeqsWithNoGap(Vertx vertx, VertxTestContext ctx) {
    int publishers = 200;
    List<Future<JsonObject>> acks = IntStream.range(0, publishers)
      .mapToObj(i -> append(vertx, event("app.race", "E").put("id", "e" + i)))
      .toList();
    Future.all(acks).compose(all -> storage(vertx, StorageBus.READ.address(), new StorageBus.Read("app.race", 1, 1000).toJson()))
      .onComplete(ctx.succeeding(read -> ctx.verify(() -> {
        Set<Long> seqs = new HashSet<>();
        for (Future<JsonObject> ack : acks) {
          seqs.add(ack.result().getJsonArray("results").getJsonObject(0).getLong("seq"));
        }
        assertEquals(publishers, seqs.size(), "every publisher gets its own seq");
        assertEquals(Set.copyOf(IntStream.rangeClosed(1, publishers).mapToObj(Long::valueOf).toList()), seqs);
        JsonArray events = read.getJsonArray("events");
        assertEquals(publishers, events.size());
        for (int i = 0; i < events.size(); i++) {
          assertEquals(i + 1, events.getJsonObject(i).getLong("seq"));
        }
        assertEquals(publishers, read.getLong("lastSeq"));
        ctx.completeNow();
      })));
  }

  @Test
  void largeBatchesOfSeveralStreamsWrittenSideBySideKeepEachStreamGaplessAndInOrder(Vertx vertx, VertxTestContext ctx) {
    // batches of 600, over a quarter of storage.maxBatchEvents (2,000): each goes out beside the writes in flight,
    // up to storage.maxWritesInFlight (4) at once, and a stream's second batch waits for its first
    List<String> streams = List.of("app.side-0", "app.side-1", "app.side-2", "app.side-3");
    int size = 600;
    List<Future<JsonObject>> acks = new ArrayList<>();
    for (int batch = 0; batch < 2; batch++) {
      for (String stream : streams) {
        int first = batch * size;
        acks.add(append(vertx, IntStream.range(first, first + size)
          .mapToObj(n -> event(stream, "E").put("data", new JsonObject().put("n", n))).toArray(JsonObject[]::new)));
      }
    }
    Future.all(acks)
      .compose(all -> Future.all(streams.stream().map(s -> readAll(vertx, s, 1, new ArrayList<>())).toList()))
      .onComplete(ctx.succeeding(read -> ctx.verify(() -> {
        for (int i = 0; i < streams.size(); i++) {
          List<JsonObject> events = read.resultAt(i);
          assertEquals(2 * size, events.size(), streams.get(i));
          for (int n = 0; n < events.size(); n++) {
            assertEquals(n + 1, events.get(n).getLong("seq"), "gapless");
            assertEquals(n, events.get(n).getJsonObject("data").getInteger("n"), "in the order the batches came");
          }
          // each batch's acks are its events' seqs, the second batch's after the first's
          JsonArray second = acks.get(streams.size() + i).result().getJsonArray("results");
          assertEquals(size + 1, second.getJsonObject(0).getLong("seq"));
        }
        ctx.completeNow();
      })));
  }

  /** Every event of a stream from {@code from}, page after page. */
  private static Future<List<JsonObject>> readAll(Vertx vertx, String stream, long from, List<JsonObject> into) {
    return storage(vertx, StorageBus.READ.address(), new StorageBus.Read(stream, from, 1000).toJson()).compose(page -> {
      JsonArray events = page.getJsonArray("events");
      events.forEach(e -> into.add((JsonObject) e));
      return events.isEmpty() ? Future.succeededFuture(into) : readAll(vertx, stream, page.getLong("next"), into);
    });
  }

  @Test
  void anIdTheStreamHoldsStoresNothingAndAnswersTheOriginalSeq(Vertx vertx, VertxTestContext ctx) {
    append(vertx, event("app.dup", "A").put("id", "same"))
      .compose(first -> append(vertx, event("app.dup", "B").put("id", "same"), event("app.dup", "C").put("id", "other"),
          event("app.dup", "D").put("id", "other"))
        .map(second -> List.of(first, second)))
      .compose(both -> storage(vertx, StorageBus.READ.address(), new StorageBus.Read("app.dup", 1, 100).toJson())
        .map(read -> List.of(both.get(0), both.get(1), read)))
      .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        JsonObject original = all.get(0).getJsonArray("results").getJsonObject(0);
        JsonArray second = all.get(1).getJsonArray("results");
        assertEquals(1, original.getLong("seq"));
        assertFalse(original.containsKey("duplicate"));
        assertEquals(1, second.getJsonObject(0).getLong("seq"));
        assertEquals(true, second.getJsonObject(0).getBoolean("duplicate"));
        assertEquals(original.getString("ts"), second.getJsonObject(0).getString("ts"));
        assertEquals(2, second.getJsonObject(1).getLong("seq"));
        assertEquals(2, second.getJsonObject(2).getLong("seq"), "a repeat within one request is a duplicate too");
        assertEquals(true, second.getJsonObject(2).getBoolean("duplicate"));
        JsonArray events = all.get(2).getJsonArray("events");
        assertEquals(2, events.size());
        assertEquals("A", events.getJsonObject(0).getString("type"));
        assertEquals("C", events.getJsonObject(1).getString("type"));
        ctx.completeNow();
      })));
  }

  @Test
  void anIdRefusedPartWayThroughAWriteLeavesEveryEventStoredOnceAndAnnouncedOnce(Vertx vertx, VertxTestContext ctx) {
    // three streams of one partition, so that one request carries them all: the write is one ordered bulk write of
    // their buckets, a's then b's then c's; the store refuses b's (its id is stored) after writing a's
    List<String> streams = IntStream.range(0, 1000).mapToObj(i -> "app.partway" + i)
      .filter(s -> StorageBus.partition(s, StorageBus.DEFAULT_PARTITIONS) == 0).limit(3).toList();
    String a = streams.get(0);
    String b = streams.get(1);
    String c = streams.get(2);
    List<Long> live = new java.util.concurrent.CopyOnWriteArrayList<>();
    vertx.eventBus().consumer(Streams.liveAddress(a), m -> Streams.eachLive(m.body(), e -> live.add(e.getLong("seq"))))
      .completion()
      .compose(v -> append(vertx, event(b, "B").put("id", "kept")))
      .compose(v -> append(vertx, event(a, "A1"), event(a, "A2").put("id", "a-2"), event(b, "B").put("id", "kept"),
        event(c, "C")))
      .compose(acks -> Future.all(List.of(a, b, c).stream()
          .map(s -> storage(vertx, StorageBus.READ.address(), new StorageBus.Read(s, 1, 100).toJson())).toList())
        .map(reads -> List.of(acks, reads.<JsonObject>resultAt(0), reads.<JsonObject>resultAt(1), reads.<JsonObject>resultAt(2))))
      .compose(all -> io.hubbub.support.Waits.until(vertx, () -> live.size() >= 2).compose(v -> vertx.timer(300)).map(all))
      .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        JsonArray results = all.get(0).getJsonArray("results");
        assertEquals(List.of(1L, 2L, 1L, 1L), results.stream().map(r -> ((JsonObject) r).getLong("seq")).toList());
        assertFalse(results.getJsonObject(0).containsKey("duplicate"), results.encode());
        assertFalse(results.getJsonObject(1).containsKey("duplicate"), results.encode());
        assertEquals(true, results.getJsonObject(2).getBoolean("duplicate"));
        assertFalse(results.getJsonObject(3).containsKey("duplicate"), results.encode());
        assertEquals(List.of("A1", "A2"), types(all.get(1)), "a's events stored once");
        assertEquals(List.of("B"), types(all.get(2)));
        assertEquals(List.of("C"), types(all.get(3)));
        assertEquals(List.of(1L, 2L), live, "and announced once");
        ctx.completeNow();
      })));
  }

  private static List<String> types(JsonObject read) {
    return read.getJsonArray("events").stream().map(e -> ((JsonObject) e).getString("type")).toList();
  }

  @Test
  void expectedSeqThatDoesNotHoldStoresNothingAndFailsWith409(Vertx vertx, VertxTestContext ctx) {
    append(vertx, event("app.occ", "A").put("expectedSeq", 0))
      .compose(v -> append(vertx, event("app.occ", "B").put("expectedSeq", 1)))
      .compose(v -> append(vertx, event("app.occ", "C"), event("app.occ", "D").put("expectedSeq", 1))
        .transform(r -> Future.succeededFuture(r)))
      .compose(conflict -> storage(vertx, StorageBus.READ.address(), new StorageBus.Read("app.occ", 1, 100).toJson())
        .map(read -> new JsonObject().put("conflict", conflict.failed() ? Failures.code(conflict.cause()) : 0).put("read", read)))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(409, r.getInteger("conflict"));
        JsonArray events = r.getJsonObject("read").getJsonArray("events");
        assertEquals(2, events.size(), "the whole request is refused: C is not stored either");
        assertEquals(2, r.getJsonObject("read").getLong("lastSeq"));
        ctx.completeNow();
      })));
  }

  @Test
  void liveEventsArriveOnlyAfterTheyAreStoredAndInOrder(Vertx vertx, VertxTestContext ctx) {
    int count = 50;
    List<Long> seen = new ArrayList<>();
    List<Future<Long>> storedWhenSeen = new ArrayList<>();
    vertx.eventBus().consumer(Streams.liveAddress("app.live"), message -> Streams.eachLive(message.body(), event -> {
      seen.add(event.getLong("seq"));
      // read the store directly, behind storage's back: the event must already be there
      storedWhenSeen.add(node.db().count(EventStore.BUCKETS, new JsonObject().put("stream", "app.live").put("events.seq", event.getLong("seq"))));
      if (seen.size() == count) {
        Future.all(storedWhenSeen).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          for (Future<Long> stored : storedWhenSeen) {
            assertEquals(1L, stored.result());
          }
          assertEquals(IntStream.rangeClosed(1, count).mapToObj(Long::valueOf).toList(), seen);
          ctx.completeNow();
        })));
      }
    })).completion().onSuccess(v -> IntStream.range(0, count).forEach(i -> append(vertx, event("app.live", "E"))));
  }

  @Test
  void aWritesEventsOfOneStreamGoLiveInPiecesInSeqOrder(Vertx vertx, VertxTestContext ctx) {
    int count = 2 * Streams.MAX_LIVE_EVENTS + 3;
    List<Object> messages = new java.util.concurrent.CopyOnWriteArrayList<>();
    JsonObject[] batch = IntStream.range(0, count).mapToObj(i -> event("app.pieces", "E")).toArray(JsonObject[]::new);
    vertx.eventBus().consumer(Streams.liveAddress("app.pieces"), m -> messages.add(m.body())).completion()
      .compose(v -> append(vertx, batch))
      .compose(v -> append(vertx, event("app.pieces", "E")))
      .compose(v -> io.hubbub.support.Waits.until(vertx, () -> messages.size() >= 4))
      .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertEquals(List.of(Streams.MAX_LIVE_EVENTS, Streams.MAX_LIVE_EVENTS, 3), messages.subList(0, 3).stream()
          .map(m -> ((JsonArray) m).size()).toList(), "one write's events in arrays of at most MAX_LIVE_EVENTS");
        assertEquals(count + 1L, ((JsonObject) messages.get(3)).getLong("seq"), "a lone event as itself");
        List<Long> seqs = new ArrayList<>();
        messages.forEach(m -> Streams.eachLive(m, e -> seqs.add(e.getLong("seq"))));
        assertEquals(LongStream.rangeClosed(1, count + 1).boxed().toList(), seqs);
        ctx.completeNow();
      })));
  }

  @Test
  void readsPageThroughAStreamWithNextAndLastSeq(Vertx vertx, VertxTestContext ctx) {
    JsonObject[] batch = IntStream.range(0, 25).mapToObj(i -> event("app.pages", "E")).toArray(JsonObject[]::new);
    append(vertx, batch)
      .compose(v -> storage(vertx, StorageBus.READ.address(), new StorageBus.Read("app.pages", 11, 10).toJson()))
      .compose(page -> storage(vertx, StorageBus.READ.address(), new StorageBus.Read("app.pages", page.getLong("next"), 10).toJson())
        .map(next -> List.of(page, next)))
      .compose(pages -> storage(vertx, StorageBus.READ.address(), new StorageBus.Read("app.pages", 26, 10).toJson())
        .map(end -> List.of(pages.get(0), pages.get(1), end)))
      .compose(pages -> storage(vertx, StorageBus.META.address(), new StorageBus.StreamKey("app.nothing").toJson())
        .map(meta -> List.of(pages.get(0), pages.get(1), pages.get(2), meta)))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(11, r.get(0).getJsonArray("events").getJsonObject(0).getLong("seq"));
        assertEquals(10, r.get(0).getJsonArray("events").size());
        assertEquals(21, r.get(0).getLong("next"));
        assertEquals(25, r.get(0).getLong("lastSeq"));
        assertEquals(5, r.get(1).getJsonArray("events").size());
        assertEquals(26, r.get(1).getLong("next"));
        assertTrue(r.get(2).getJsonArray("events").isEmpty());
        assertEquals(26, r.get(2).getLong("next"));
        assertEquals(0, r.get(3).getLong("lastSeq"));
        ctx.completeNow();
      })));
  }

  @Test
  void eventsComeBackExactlyAsGiven(Vertx vertx, VertxTestContext ctx) {
    JsonObject data = new JsonObject()
      .put("text", "héllo \u0001 <b>")
      .put("int", 7).put("long", 9_007_199_254_740_993L).put("double", 1.5).put("whole", 2.0)
      .put("bool", false).putNull("nothing")
      .put("list", new JsonArray().add(1).add("two").add(new JsonObject().put("deep", new JsonArray())))
      .put("nested", new JsonObject().put("a", new JsonObject().put("b", "c")));
    append(vertx, event("app.exact", "E").put("data", data).put("id", "ex:1"))
      .compose(v -> storage(vertx, StorageBus.READ.address(), new StorageBus.Read("app.exact", 1, 1).toJson()))
      .onComplete(ctx.succeeding(read -> ctx.verify(() -> {
        JsonObject stored = read.getJsonArray("events").getJsonObject(0);
        assertEquals(data.encode(), stored.getJsonObject("data").encode());
        assertEquals("tester", stored.getString("by"));
        assertEquals("ex:1", stored.getString("id"));
        assertTrue(stored.getString("ts").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), stored.getString("ts"));
        assertEquals(Set.of("stream", "seq", "id", "type", "data", "by", "ts"), stored.fieldNames());
        ctx.completeNow();
      })));
  }

  /** An id the server made is not in the index of ids, yet publishing it again stores nothing new. */
  @Test
  void anIdTheServerMadeGivenBackAnswersTheOriginal(Vertx vertx, VertxTestContext ctx) {
    append(vertx, event("app.made", "E"), event("app.made", "E"))
      .compose(first -> {
        String made = first.getJsonArray("results").getJsonObject(1).getString("id");
        // with an id that reads as made for a seq far past the stream's end: looked up there alone, and new
        return append(vertx, event("app.made", "E").put("id", MadeIds.of(1L << 59)), event("app.made", "E").put("id", made))
          .map(again -> List.of(first, again));
      })
      .compose(acks -> node.db().find(EventStore.BUCKETS, new JsonObject().put("_id", EventStore.key("app.made", 1)))
        .map(buckets -> List.of(acks.get(0), acks.get(1), buckets.get(0))))
      .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        JsonObject original = all.get(0).getJsonArray("results").getJsonObject(1);
        JsonObject again = all.get(1).getJsonArray("results").getJsonObject(1);
        assertEquals(3L, all.get(1).getJsonArray("results").getJsonObject(0).getLong("seq"));
        assertEquals(2L, again.getLong("seq"));
        assertEquals(original.getString("id"), again.getString("id"));
        assertEquals(true, again.getBoolean("duplicate"));
        assertFalse(all.get(2).containsKey("sids"), "the ids the server made are not indexed");
        ctx.completeNow();
      })));
  }

  /**
   * An append the gateway checked on this node reaches storage as it is and is stored so; one checked under a larger
   * data limit than storage's own is checked again, and refused as any client's would be.
   */
  @Test
  void anAppendCheckedOnThisNodeIsStoredAsItIsAndOneCheckedMoreLooselyIsCheckedAgain(Vertx vertx, VertxTestContext ctx) {
    int limit = TestConf.defaults().getJsonObject("limits").getInteger("maxDataBytes");
    StorageClient client = new StorageClient(vertx, StorageBus.DEFAULT_PARTITIONS, 10_000);
    StorageBus.Checking within = new StorageBus.Checking("app.checked", "ada", limit, 2);
    within.add(new JsonObject().put("type", "E").put("data", new JsonObject().put("n", 1)).put("id", "c-1"), Set.of(), "event [0]");
    within.add(new JsonObject().put("type", "E").put("data", new JsonObject().put("n", 2)), Set.of(), "event [1]");
    StorageBus.Checking loose = new StorageBus.Checking("app.checked", "ada", Integer.MAX_VALUE, 1);
    loose.add(new JsonObject().put("type", "E").put("data", new JsonObject().put("text", "x".repeat(limit + 1))), Set.of(), "event");
    client.handOver(StorageBus.APPEND, within.append())
      .compose(acks -> client.handOver(StorageBus.APPEND, loose.append())
        .transform(r -> Future.succeededFuture(r.failed() ? Failures.code(r.cause()) : 200))
        .map(code -> new JsonObject().put("acks", acks.toJsonArray()).put("loose", code)))
      .compose(done -> storage(vertx, StorageBus.READ.address(), new StorageBus.Read("app.checked", 1, 10).toJson())
        .map(read -> done.put("read", read)))
      .onComplete(ctx.succeeding(done -> ctx.verify(() -> {
        assertEquals(List.of(1L, 2L), done.getJsonArray("acks").stream().map(a -> ((JsonObject) a).getLong("seq")).toList());
        assertEquals(Failures.TOO_LARGE, done.getInteger("loose"), "checked again under storage's own limit");
        JsonArray events = done.getJsonObject("read").getJsonArray("events");
        assertEquals(2, events.size(), "the refused one stored nothing");
        assertEquals("c-1", events.getJsonObject(0).getString("id"));
        assertEquals(new JsonObject().put("n", 2), events.getJsonObject(1).getJsonObject("data"));
        assertEquals("ada", events.getJsonObject(1).getString("by"));
        ctx.completeNow();
      })));
  }

  @Test
  void malformedRequestsFailWith400AndStoreNothing(Vertx vertx, VertxTestContext ctx) {
    List<JsonObject> bad = List.of(
      new JsonObject(),
      new JsonObject().put("events", new JsonArray()),
      new JsonObject().put("events", "nope"),
      appendRequest(new JsonArray().add(event("bad name", "E"))),
      appendRequest(new JsonArray().add(event("app.x", "lower"))),
      appendRequest(new JsonArray().add(event("app.x", "E").put("data", new JsonObject().put("$set", 1)))),
      appendRequest(new JsonArray().add(event("app.x", "E").put("data", new JsonObject().put("a.b", 1)))),
      appendRequest(new JsonArray().add(event("app.x", "E").put("by", ""))),
      appendRequest(new JsonArray().add(event("app.x", "E").put("id", "has space"))),
      appendRequest(new JsonArray().add(event("app.x", "E").put("expectedSeq", -1))),
      appendRequest(new JsonArray().add(event("app.x", "E")).add(event("app.x", "E").put("data", "str"))),
      new StorageBus.Read("app.x", 1, 5000).toJson(),
      new JsonObject().put("stream", new JsonObject().put("$gt", "")));
    List<Future<Integer>> codes = new ArrayList<>();
    for (int i = 0; i < bad.size(); i++) {
      String address = i < 11 ? StorageBus.APPEND.address() : StorageBus.READ.address();
      codes.add(storage(vertx, address, bad.get(i))
        .transform(r -> Future.succeededFuture(r.failed() ? Failures.code(r.cause()) : 200)));
    }
    Future.all(codes)
      .compose(v -> node.db().count(EventStore.BUCKETS, new JsonObject()))
      .onComplete(ctx.succeeding(count -> ctx.verify(() -> {
        for (int i = 0; i < codes.size(); i++) {
          assertEquals(400, codes.get(i).result(), "request " + i + ": " + bad.get(i).encode());
        }
        assertEquals(0L, count);
        ctx.completeNow();
      })));
  }

  @Test
  void documentsAreInsertedFoundAndDeletedByIdOnlyInKnownCollections(Vertx vertx, VertxTestContext ctx) {
    JsonObject doc = new JsonObject().put("_id", "u1").put("hash", "h");
    StorageBus.DOC_INSERT.request(vertx.eventBus(), StorageBus.docInsert("users", doc), 10_000)
      .compose(v -> StorageBus.DOC_INSERT.request(vertx.eventBus(), StorageBus.docInsert("users", doc), 10_000)
        .transform(r -> Future.succeededFuture(r.failed() ? Failures.code(r.cause()) : 200)))
      .compose(dup -> StorageBus.DOC_FIND.request(vertx.eventBus(), StorageBus.docKey("users", "u1"), 10_000)
        .map(found -> new JsonObject().put("dup", dup).put("found", found)))
      .compose(r -> StorageBus.DOC_FIND.request(vertx.eventBus(), StorageBus.docKey("events", "x"), 10_000)
        .transform(x -> Future.succeededFuture(r.put("otherCollection", Failures.code(x.cause())))))
      .compose(r -> StorageBus.DOC_DELETE.request(vertx.eventBus(), StorageBus.docKey("users", "u1"), 10_000)
        .compose(d -> StorageBus.DOC_FIND.request(vertx.eventBus(), StorageBus.docKey("users", "u1"), 10_000))
        .transform(x -> Future.succeededFuture(r.put("afterDelete", Failures.code(x.cause())))))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(409, r.getInteger("dup"));
        assertNotNull(r.getJsonObject("found"));
        assertEquals("h", r.getJsonObject("found").getString("hash"));
        assertEquals(400, r.getInteger("otherCollection"));
        assertEquals(404, r.getInteger("afterDelete"));
        ctx.completeNow();
      })));
  }

  @Test
  void arrayFieldsTakeAndLoseOneStringAndNeverAnOperator(Vertx vertx, VertxTestContext ctx) {
    List<Integer> refused = new ArrayList<>();
    Function<JsonObject, Future<Void>> refuse = body -> Bus.request(vertx.eventBus(), StorageBus.DOC_ADD.address(), body, 10_000)
      .transform(r -> {
        refused.add(r.failed() ? Failures.code(r.cause()) : 200);
        return Future.succeededFuture();
      });
    JsonObject room = new JsonObject().put("_id", "r1").put("members", new JsonArray().add("a"));
    StorageBus.DOC_INSERT.request(vertx.eventBus(), StorageBus.docInsert("rooms", room), 10_000)
      .compose(v -> StorageBus.DOC_ADD.request(vertx.eventBus(), StorageBus.docChange("rooms", "r1", "members", "b"), 10_000))
      .compose(added -> StorageBus.DOC_ADD.request(vertx.eventBus(), StorageBus.docChange("rooms", "r1", "members", "b"), 10_000)
        .compose(again -> StorageBus.DOC_REMOVE.request(vertx.eventBus(), StorageBus.docChange("rooms", "r1", "members", "a"), 10_000)
          .map(removed -> List.of(added, again, removed))))
      .compose(r -> refuse.apply(StorageBus.docChange("rooms", "r1", "$set", "x").toJson())
        .compose(v -> refuse.apply(StorageBus.docChange("rooms", "r1", "members.0", "x").toJson()))
        .compose(v -> refuse.apply(StorageBus.docChange("rooms", "r1", "_id", "x").toJson()))
        .compose(v -> refuse.apply(StorageBus.docChange("rooms", "r1", "members", "x").toJson().put("value", new JsonObject().put("$each", new JsonArray()))))
        .compose(v -> refuse.apply(StorageBus.docChange("rooms", "nope", "members", "x").toJson()))
        .compose(v -> StorageBus.DOC_LIST.request(vertx.eventBus(), StorageBus.docList("rooms", 10), 10_000))
        .map(list -> List.of(r.get(0), r.get(1), r.get(2), new JsonObject().put("docs", new JsonArray(list)))))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(new JsonObject().put("changed", true), r.get(0), "the answer says whether it changed, not the list");
        assertEquals(new JsonObject().put("changed", false), r.get(1), "a set: added once");
        assertEquals(new JsonObject().put("changed", true), r.get(2));
        assertEquals(List.of(400, 400, 400, 400, 404), refused);
        assertEquals(1, r.get(3).getJsonArray("docs").size());
        assertEquals(new JsonArray().add("b"), r.get(3).getJsonArray("docs").getJsonObject(0).getJsonArray("members"));
        ctx.completeNow();
      })));
  }

  @Test
  void aSwapWritesOnlyWhileTheFieldHoldsWhatWasExpected(Vertx vertx, VertxTestContext ctx) {
    JsonObject device = new JsonObject().put("_id", "d1").put("name", "D1").put("keyHash", "h0");
    java.util.function.BiFunction<String, String, Future<Boolean>> swap = (expected, next) -> StorageBus.DOC_SWAP
      .request(vertx.eventBus(), StorageBus.docSwap("devices", device.copy().put("keyHash", next), "keyHash", expected), 10_000);
    List<Object> seen = new ArrayList<>();
    StorageBus.DOC_INSERT.request(vertx.eventBus(), StorageBus.docInsert("devices", device), 10_000)
      .compose(v -> swap.apply("h0", "h1")).compose(first -> { seen.add(first); return swap.apply("h0", "h2"); })
      .compose(stale -> { seen.add(stale); return StorageBus.DOC_FIND.request(vertx.eventBus(), StorageBus.docKey("devices", "d1"), 10_000); })
      .compose(found -> { seen.add(found.getString("keyHash")); return StorageBus.DOC_DELETE.request(vertx.eventBus(), StorageBus.docKey("devices", "d1"), 10_000); })
      .compose(deleted -> swap.apply("h1", "h3"))
      .compose(gone -> { seen.add(gone); return StorageBus.DOC_FIND.request(vertx.eventBus(), StorageBus.docKey("devices", "d1"), 10_000)
        .transform(r -> Future.succeededFuture(r.failed() ? Failures.code(r.cause()) : 200)); })
      .compose(afterGone -> { seen.add(afterGone);
        // an operator where a value goes is refused, not run
        return Bus.request(vertx.eventBus(), StorageBus.DOC_SWAP.address(), StorageBus.docSwap("devices", device, "keyHash", "x").toJson()
          .put("expected", new JsonObject().put("$ne", "")), 10_000).transform(r -> Future.succeededFuture(Failures.code(r.cause()))); })
      .compose(operator -> { seen.add(operator);
        return Bus.request(vertx.eventBus(), StorageBus.DOC_SWAP.address(), StorageBus.docSwap("devices", device, "$where", "x").toJson(), 10_000)
          .transform(r -> Future.succeededFuture(Failures.code(r.cause()))); })
      .onComplete(ctx.succeeding(badField -> ctx.verify(() -> {
        assertEquals(List.of(true, false, "h1", false, 404, 400), seen, "swapped once; not on a stale value; the first swap's value kept;"
          + " nothing written once gone");
        assertEquals(400, badField);
        ctx.completeNow();
      })));
  }

  @Test
  void aRetryAnnouncesAnEventItsDeadWriterNeverAnnounced(Vertx vertx, VertxTestContext ctx) {
    // seq 1 stored by an owner that died before publishing it live: only the store has it
    String stream = "app.orphaned";
    JsonObject orphan = EventStore.bucket(stream, List.of(new JsonObject().put("seq", 1).put("id", "orphan").put("type", "E")
      .put("data", new JsonObject()).put("by", "tester").put("ts", "2026-11-23T00:00:00.000Z")));
    List<Long> live = new java.util.concurrent.CopyOnWriteArrayList<>();
    vertx.eventBus().consumer(Streams.liveAddress(stream), m -> Streams.eachLive(m.body(), e -> live.add(e.getLong("seq"))))
      .completion()
      .compose(v -> node.db().insert(EventStore.BUCKETS, orphan))
      .compose(v -> append(vertx, event(stream, "E").put("id", "orphan")))   // its publisher retries: announced now
      .compose(v -> append(vertx, event(stream, "E").put("id", "fresh")))    // stored and announced here
      .compose(v -> append(vertx, event(stream, "E").put("id", "fresh")))    // announced here already: not again
      .compose(v -> io.hubbub.support.Waits.until(vertx, () -> live.size() >= 2))
      .compose(v -> vertx.timer(300))
      .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertEquals(List.of(1L, 2L), live, "the orphan once, then the new event once");
        ctx.completeNow();
      })));
  }

  /** An append request as it travels on the bus (some of these tests send ones that break its contract). */
  private static JsonObject appendRequest(JsonArray events) {
    return new JsonObject().put("events", events);
  }
}
