package io.hubbub.storage;

import io.hubbub.bus.StorageBus;
import io.hubbub.conf.Conf;
import io.hubbub.conf.HubbubConf;
import io.hubbub.embedded.EmbeddedStore;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestFiles;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several storage instances on one node (the conf's {@code instances}): each an event loop of its own, they share the
 * node's embedded store and split its partitions; the last one to stop closes the store.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class StorageInstancesTest {

  private static final int STREAMS = 32;

  @Test
  void instancesShareTheEmbeddedStoreAndItsPartitionsAndTheLastOneClosesIt(Vertx vertx) throws Exception {
    Path dir = Files.createTempDirectory("hubbub-storage-instances");
    try {
      JsonObject json = TestConf.only(TestConf.node(), "storage");
      json.getJsonArray("verticles").getJsonObject(0).put("instances", 2);
      json.getJsonObject("mongo").put("uri", "").put("dataDir", dir.toString()).put("database", "hubbub");
      HubbubConf.Deployment storage = HubbubConf.of(Conf.resolve(json)).verticles().get(0);
      assertEquals(2, storage.instances(), "the conf takes several storage instances");

      // two deployments of one instance each (as the conf's two instances are), so that one can stop alone
      String first = vertx.deployVerticle(new StorageVerticle(storage.conf())).await(30, TimeUnit.SECONDS);
      String second = vertx.deployVerticle(new StorageVerticle(storage.conf())).await(30, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(30)).until(() -> owned(vertx).size() == 2
        && owned(vertx).values().stream().allMatch(n -> n == StorageBus.DEFAULT_PARTITIONS / 2));

      appendToEveryStream(vertx, 1);
      appendToEveryStream(vertx, 2);

      vertx.undeploy(first).await(30, TimeUnit.SECONDS);
      assertTrue(Files.exists(dir.resolve(EmbeddedStore.ADDRESS_FILE)), "the other instance still has the store open");
      await().atMost(Duration.ofSeconds(30)).until(() -> owned(vertx).size() == 1
        && owned(vertx).values().stream().allMatch(n -> n == StorageBus.DEFAULT_PARTITIONS));
      appendToEveryStream(vertx, 3); // every stream goes on from the seq the other instance left it at

      vertx.undeploy(second).await(30, TimeUnit.SECONDS);
      assertFalse(Files.exists(dir.resolve(EmbeddedStore.ADDRESS_FILE)), "the last instance closed the store");
      EmbeddedStore.start(dir).close(); // and let its file go: it opens again
    } finally {
      TestFiles.deleteTree(dir);
    }
  }

  /** How many partitions each live instance announces it owns, by instance. */
  private static Map<String, Integer> owned(Vertx vertx) throws Exception {
    Map<String, String> entries = vertx.sharedData().<String, String>getAsyncMap(StorageBus.INSTANCES_MAP)
      .compose(AsyncMap::entries).await(10, TimeUnit.SECONDS);
    return entries.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
      e -> StorageBus.Instance.parse(e.getValue()).partitions().size()));
  }

  /** One event to each of the streams, whose partitions both instances own; each gets {@code seq}. */
  private static void appendToEveryStream(Vertx vertx, long seq) throws Exception {
    List<Future<JsonObject>> acks = IntStream.range(0, STREAMS).mapToObj(i -> {
      JsonObject event = new JsonObject().put("stream", "app.s" + i).put("type", "E").put("data", new JsonObject())
        .put("by", "tester");
      return StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.APPEND.address(),
        new JsonObject().put("events", new JsonArray().add(event)), 10_000);
    }).toList();
    Future.all(acks).await(30, TimeUnit.SECONDS);
    for (int i = 0; i < STREAMS; i++) {
      assertEquals(seq, acks.get(i).result().getJsonArray("results").getJsonObject(0).getLong("seq"), "app.s" + i);
    }
  }
}
