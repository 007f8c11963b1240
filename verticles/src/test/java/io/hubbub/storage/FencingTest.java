package io.hubbub.storage;

import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stale owner: another writer stored the next seq of a stream behind this storage instance's back
 * (as a new owner does while the old one is paused or cut off). The unique key refuses the stale write,
 * the instance gives the partition up, and once it (or anyone) claims it again, appends go on after
 * what the other writer stored, with nothing overwritten.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FencingTest {

  private static final String STREAM = "app.fenced";

  private Vertx vertx;
  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> TestConf.only(conf, "storage", "gateway"))
    .withMetrics(); // to read the fencing counter on /metrics
  private TestNode node;

  private Future<JsonObject> append(String id) {
    JsonObject body = appendRequest(new JsonArray().add(new JsonObject()
      .put("stream", STREAM).put("type", "E").put("id", id).put("data", new JsonObject()).put("by", "owner")));
    return StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.APPEND.address(), body, 10_000);
  }

  @Test
  void aWriteUnderATakenSeqIsRefusedAndThePartitionIsGivenUp() throws Exception {
    for (int i = 1; i <= 3; i++) {
      append("mine-" + i).await(10, TimeUnit.SECONDS);
    }
    JsonObject intruder = EventStore.bucket(STREAM, List.of(new JsonObject().put("seq", 4).put("id", "theirs").put("type", "E")
      .put("data", new JsonObject()).put("by", "new-owner").put("ts", "2026-11-23T00:00:00.000Z")));
    node.db().insert(EventStore.BUCKETS, intruder).await(10, TimeUnit.SECONDS);

    Throwable refused = append("mine-4").transform(r -> Future.succeededFuture(r.cause())).await(10, TimeUnit.SECONDS);
    assertNotNull(refused, "a second event under seq 4 was stored");
    assertEquals(503, Failures.code(refused), "the stale write is refused, and its publisher told to retry: " + refused);
    String metrics = node.call(io.vertx.core.http.HttpMethod.GET, "/metrics", null, null).body().toString();
    assertTrue(metrics.matches("(?s).*hubbub_storage_partitions_fenced_total(\\{[^}]*})? 1\\.0.*"), "the partition was given up");

    JsonObject retried = null;
    long deadline = System.currentTimeMillis() + 20_000;
    while (retried == null && System.currentTimeMillis() < deadline) { // 503 until the partition has an owner again
      try {
        retried = append("mine-4").await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        assertEquals(503, Failures.code(e), e.toString());
        Thread.sleep(100);
      }
    }
    assertEquals(5, retried.getJsonArray("results").getJsonObject(0).getLong("seq"), "after what the other writer stored");
    JsonObject read = new StorageBus.Read(STREAM, 1, 10).toJson();
    List<Object> events = StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.READ.address(), read, 10_000)
      .await(10, TimeUnit.SECONDS).getJsonArray("events").stream().map(e -> ((JsonObject) e).getString("id")).map(Object.class::cast).toList();
    assertEquals(List.of("mine-1", "mine-2", "mine-3", "theirs", "mine-4"), events, "nothing overwritten, nothing twice");
  }

  /** An append request as it travels on the bus (some of these tests send ones that break its contract). */
  private static JsonObject appendRequest(JsonArray events) {
    return new JsonObject().put("events", events);
  }
}
