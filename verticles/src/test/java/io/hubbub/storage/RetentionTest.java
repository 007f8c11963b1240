package io.hubbub.storage;

import io.hubbub.client.Response;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import io.vertx.junit5.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PROTOCOL v1.1 "Retention and deletion", storage's part: a namespace's {@code retention} drops old events a whole
 * bucket at a time in the background, {@code firstSeq} says where a stream's history now starts, reads from below
 * it start there, an admin truncates a stream, and seqs are never given twice, even once every event is gone and
 * the node has restarted.
 */
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class RetentionTest {

  private Vertx vertx;
  private TestNode node;

  private TestNode start(JsonObject appRetention) throws Exception {
    JsonObject conf = TestConf.node();
    conf.getJsonObject("storage").put("retentionSweepSeconds", 1);
    if (appRetention != null) {
      conf.getJsonObject("namespaces").getJsonObject("app").put("retention", appRetention);
    }
    vertx = io.hubbub.Node.newVertx(); // with metrics, as deployed: the sweeps count what they read
    node = TestNode.start(vertx, conf).await(60, TimeUnit.SECONDS);
    return node;
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (node != null) {
        node.stop().await(30, TimeUnit.SECONDS);
      }
    } finally {
      if (vertx != null) {
        vertx.close().await(30, TimeUnit.SECONDS);
      }
    }
  }

  /** Publishes {@code batches} requests of ten events each: ten buckets of ten. */
  private void publish(String token, String stream, int batches) throws Exception {
    for (int b = 0; b < batches; b++) {
      JsonArray events = new JsonArray(IntStream.range(0, 10).mapToObj(i -> (Object) new JsonObject().put("type", "E")
        .put("data", new JsonObject().put("n", i))).toList());
      assertThat(node.call(HttpMethod.POST, "/api/streams/" + stream + "/events", token, events).status()).isEqualTo(201);
    }
  }

  private JsonObject info(String token, String stream) throws Exception {
    return node.call(HttpMethod.GET, "/api/streams/" + stream, token, null).orThrow("stream info");
  }

  private List<Long> seqs(JsonObject page) {
    return page.getJsonArray("events").stream().map(e -> ((JsonObject) e).getLong("seq")).toList();
  }

  private long buckets(String stream) throws Exception {
    return node.db().count(EventStore.BUCKETS, new JsonObject().put("stream", stream)).await(10, TimeUnit.SECONDS);
  }

  @Test
  void maxEventsKeepsTheNewestAndSeqsGoOnAfterARestart() throws Exception {
    start(new JsonObject().put("maxEvents", 25));
    String token = node.user("keeper").await(30, TimeUnit.SECONDS);
    publish(token, "app.kept", 10); // seqs 1..100 in ten buckets

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(info(token, "app.kept").getLong("firstSeq")).isEqualTo(76));
    assertThat(info(token, "app.kept").getLong("lastSeq")).isEqualTo(100);
    JsonObject page = node.call(HttpMethod.GET, "/api/streams/app.kept/events?from=1&limit=1000", token, null).orThrow("read");
    assertThat(seqs(page)).as("a read from below firstSeq starts there: exactly the newest 25")
      .isEqualTo(IntStream.rangeClosed(76, 100).mapToObj(i -> (long) i).toList());
    assertThat(page.getLong("firstSeq")).isEqualTo(76);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(buckets("app.kept"))
      .as("whole buckets dropped: the one holding 76 stays, with 71..75 no longer readable").isEqualTo(3));

    node = node.restart().await(60, TimeUnit.SECONDS);
    String again = node.user("keeper2").await(30, TimeUnit.SECONDS);
    Response next = node.call(HttpMethod.POST, "/api/streams/app.kept/events", again, new JsonObject().put("type", "E").put("data", new JsonObject()));
    assertThat(next.json().getLong("seq")).as("found from where the history now starts").isEqualTo(101);
  }

  @Test
  void anAdminTruncatesAStreamOnceAndForAll() throws Exception {
    start(null);
    TestNode.Tokens tokens = node.userAndAdmin("writer").await(30, TimeUnit.SECONDS);
    publish(tokens.user(), "app.log", 5); // 1..50
    String truncate = "/api/streams/app.log/truncate";

    assertThat(node.call(HttpMethod.POST, truncate, null, new JsonObject().put("before", 10)).status()).isEqualTo(401);
    assertThat(node.call(HttpMethod.POST, truncate, tokens.user(), new JsonObject().put("before", 10)).status()).isEqualTo(403);
    assertThat(node.call(HttpMethod.POST, "/api/streams/nope.log/truncate", tokens.admin(), new JsonObject().put("before", 1)).status())
      .as("an undeclared namespace").isEqualTo(404);
    for (Object bad : List.of(new JsonObject(), new JsonObject().put("before", 0), new JsonObject().put("before", "5"),
      new JsonObject().put("before", 2.5), new JsonArray())) {
      Response refused = node.call(HttpMethod.POST, truncate, tokens.admin(), bad);
      assertThat(refused.status()).as(bad.toString()).isEqualTo(400);
    }
    Response beyond = node.call(HttpMethod.POST, truncate, tokens.admin(), new JsonObject().put("before", 52));
    assertThat(beyond.status()).isEqualTo(400);
    assertThat(beyond.errorMessage()).contains("its last seq is 50", "at most 51");

    JsonObject cut = node.call(HttpMethod.POST, truncate, tokens.admin(), new JsonObject().put("before", 25)).orThrow("truncate");
    assertThat(cut).isEqualTo(new JsonObject().put("stream", "app.log").put("firstSeq", 25).put("lastSeq", 50));
    assertThat(seqs(node.call(HttpMethod.GET, "/api/streams/app.log/events?from=3&limit=2", tokens.user(), null).orThrow("read")))
      .isEqualTo(List.of(25L, 26L));
    assertThat(node.call(HttpMethod.POST, truncate, tokens.admin(), new JsonObject().put("before", 10)).orThrow("again")
      .getLong("firstSeq")).as("history never comes back: an earlier point changes nothing").isEqualTo(25);
    assertThat(buckets("app.log")).as("the buckets of 1..20 are gone, the one holding 25 stays").isEqualTo(3);

    JsonObject all = node.call(HttpMethod.POST, truncate, tokens.admin(), new JsonObject().put("before", 51)).orThrow("all");
    assertThat(all).isEqualTo(new JsonObject().put("stream", "app.log").put("firstSeq", 51).put("lastSeq", 50));
    assertThat(buckets("app.log")).isZero();
    JsonObject empty = node.call(HttpMethod.GET, "/api/streams/app.log/events?from=1", tokens.user(), null).orThrow("read");
    assertThat(empty.getJsonArray("events")).isEmpty();
    assertThat(empty.getLong("next")).isEqualTo(51);

    node = node.restart().await(60, TimeUnit.SECONDS);
    Response next = node.call(HttpMethod.POST, "/api/streams/app.log/events", tokens.user(), new JsonObject().put("type", "E").put("data", new JsonObject()));
    assertThat(next.json().getLong("seq")).as("seqs are never given twice, even with every event gone").isEqualTo(51);

    JsonObject trail = node.call(HttpMethod.GET, "/api/streams/audit.streams/events", tokens.admin(), null).orThrow("audit");
    assertThat(trail.getJsonArray("events").stream().map(e -> ((JsonObject) e).getJsonObject("data").getLong("truncatedBefore")).toList())
      .as("every truncation is audited, with who did it").containsExactly(25L, 10L, 51L);
    assertThat(trail.getJsonArray("events").getJsonObject(0).getString("by")).isEqualTo(TestConf.ADMIN);
  }

  @Test
  void aDropCutShortByACrashIsFinishedByTheNextSweep() throws Exception {
    start(null); // no retention in app: the sweep still finishes what a truncation left
    String token = node.user("writer").await(30, TimeUnit.SECONDS);
    publish(token, "app.crashed", 5); // 1..50 in five buckets
    // as a truncation to 31 leaves it when the node dies after moving the start and before deleting a bucket
    node.db().save(StreamBounds.STREAMS, new JsonObject().put("_id", "app.crashed").put("firstSeq", 31).put("floor", 1))
      .await(10, TimeUnit.SECONDS);
    node = node.restart().await(60, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(buckets("app.crashed")).isEqualTo(2));
    assertThat(info(token, "app.crashed").getLong("firstSeq")).isEqualTo(31);
    // the floor is written once the buckets are deleted: a separate write, a moment later
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
      node.db().findOne(StreamBounds.STREAMS, new JsonObject().put("_id", "app.crashed"), null).await(10, TimeUnit.SECONDS)
        .getLong("floor")).as("the drop is done").isEqualTo(31));
  }

  /**
   * A stream under {@code maxAge} whose oldest bucket is young is read once, not at every sweep: it cannot expire
   * before that bucket's time plus the age (the sweeps here run every second).
   */
  @Test
  void aYoungStreamIsNotReadAgainAtEverySweep() throws Exception {
    start(new JsonObject().put("maxAgeSeconds", 3600));
    String token = node.user("writer").await(30, TimeUnit.SECONDS);
    double before = looks();
    publish(token, "app.young", 1);
    // every stream there is gets looked at once, then the count stays put (were streams read at every sweep, it
    // would rise each second and this would time out)
    double[] seen = {looks()};
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(1_500)).until(() -> {
      double now = looks();
      boolean still = now == seen[0] && now - before >= 1;
      seen[0] = now;
      return still;
    });
    Thread.sleep(4_000);
    assertThat(looks()).as("no stream read again by four more sweeps").isEqualTo(seen[0]);
    assertThat(info(token, "app.young").getLong("firstSeq")).isEqualTo(1);
  }

  private static double looks() {
    return io.hubbub.Node.registry().counter("hubbub.storage.retention.looks").count();
  }

  @Test
  void maxAgeDropsWholeExpiredBucketsOfAStoreWrittenBeforeStreamsWereListed() throws Exception {
    // a store as an older version left it: buckets (the oldest without its newest event's time), no list of streams
    JsonObject conf = TestConf.node();
    conf.getJsonObject("storage").put("retentionSweepSeconds", 1);
    conf.getJsonObject("namespaces").getJsonObject("app").put("retention", new JsonObject().put("maxAgeSeconds", 3600));
    JsonObject mongo = conf.getJsonObject("mongo");
    vertx = Vertx.vertx();
    MongoClient db = MongoClient.create(vertx, new JsonObject().put("connection_string", mongo.getString("uri"))
      .put("db_name", mongo.getString("database")));
    Instant now = Instant.now();
    List<Instant> times = List.of(now.minusSeconds(3 * 3600), now.minusSeconds(2 * 3600), now.minusSeconds(60));
    for (int b = 0; b < 3; b++) {
      List<JsonObject> events = new ArrayList<>();
      for (int i = 1; i <= 100; i++) {
        events.add(new JsonObject().put("seq", b * 100L + i).put("id", "e" + (b * 100 + i)).put("type", "E")
          .put("data", new JsonObject()).put("by", "old").put("ts", times.get(b).toString()));
      }
      JsonObject bucket = EventStore.bucket("app.aged", events);
      if (b == 0) {
        bucket.remove("ts");
      }
      db.insert(EventStore.BUCKETS, bucket).await(10, TimeUnit.SECONDS);
    }
    db.close().await(10, TimeUnit.SECONDS);
    node = TestNode.start(vertx, conf).await(60, TimeUnit.SECONDS);
    String token = node.user("reader").await(30, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(info(token, "app.aged").getLong("firstSeq")).isEqualTo(201));
    assertThat(info(token, "app.aged").getLong("lastSeq")).isEqualTo(300);
    assertThat(buckets("app.aged")).isEqualTo(1);
  }
}
