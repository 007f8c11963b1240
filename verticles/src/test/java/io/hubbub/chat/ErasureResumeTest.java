package io.hubbub.chat;

import io.hubbub.bus.ChatBus;
import io.hubbub.client.BridgeClient;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A user's chat erasure is queued durably: one queued while no chat instance ran (or cut short by a node that died)
 * is done when a chat instance starts, and then leaves the queue.
 */
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class ErasureResumeTest {

  private Vertx vertx;
  private TestNode node;

  @AfterEach
  void stop() throws Exception {
    try {
      if (node != null) {
        node.stop().await(30, TimeUnit.SECONDS);
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aQueuedErasureIsDoneWhenChatStarts() throws Exception {
    vertx = Vertx.vertx();
    node = TestNode.start(vertx, TestConf.node()).await(60, TimeUnit.SECONDS);
    String erin = node.user("erin").await(30, TimeUnit.SECONDS);
    String fay = node.user("fay").await(30, TimeUnit.SECONDS);
    BridgeClient erins = node.bridge(erin).await(30, TimeUnit.SECONDS);
    erins.request("chat.join", new JsonObject().put("room", "attic")).await(30, TimeUnit.SECONDS);
    node.bridge(fay).await(30, TimeUnit.SECONDS).request("chat.join", new JsonObject().put("room", "attic")).await(30, TimeUnit.SECONDS);
    erins.request("chat.send", new JsonObject().put("room", "attic").put("text", "forget me")).await(30, TimeUnit.SECONDS);

    // queued, and then the node went down before any chat instance did it
    node.db().save(ChatBus.ERASURES_COLLECTION, new JsonObject().put("_id", "erin").put("queued", "2026-12-01T12:00:00Z"))
      .await(10, TimeUnit.SECONDS);
    node = node.restart().await(60, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      JsonArray events = node.call(HttpMethod.GET, "/api/streams/chat.attic/events", fay, null).orThrow("read").getJsonArray("events");
      assertThat(events.getJsonObject(0).getString("by")).isEqualTo("deleted-user");
      assertThat(events.getJsonObject(0).getJsonObject("data")).isEqualTo(new JsonObject().put("redacted", true));
    });
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(node.db()
      .count(ChatBus.ERASURES_COLLECTION, new JsonObject()).await(10, TimeUnit.SECONDS)).as("done: out of the queue").isZero());
    JsonObject rooms = node.bridge(fay).await(30, TimeUnit.SECONDS).request("chat.rooms", new JsonObject()).await(30, TimeUnit.SECONDS);
    assertThat(rooms.getJsonArray("rooms").getJsonObject(0).getJsonArray("members")).containsExactly("fay");
  }
}
