package io.hubbub.storage;

import io.hubbub.bus.StorageBus;
import io.hubbub.client.BridgeClient;
import io.hubbub.client.Response;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PROTOCOL v1.1 "Retention and deletion": a room deleted with its history (admin or creator), a user deleted
 * (admin or the user) with their chat messages redacted in place, a device deleted with its data; each audited,
 * each answering 404 once there is nothing left, and seqs never given twice.
 */
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class DeletionTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.node();
  private TestNode node;

  private JsonObject room(String name) {
    return new JsonObject().put("room", name);
  }

  private BridgeClient bridge(String token) throws Exception {
    return node.bridge(token).await(30, TimeUnit.SECONDS);
  }

  private JsonObject send(BridgeClient client, String room, String text) throws Exception {
    return client.request("chat.send", room(room).put("text", text)).await(30, TimeUnit.SECONDS);
  }

  private JsonArray events(String stream, String token) throws Exception {
    return node.call(HttpMethod.GET, "/api/streams/" + stream + "/events", token, null).orThrow("read").getJsonArray("events");
  }

  private List<String> types(JsonArray events) {
    return events.stream().map(e -> ((JsonObject) e).getString("type")).toList();
  }

  @Test
  void aRoomIsDeletedWithItsHistoryByItsCreatorOrAnAdmin() throws Exception {
    TestNode.Tokens tokens = node.userAndAdmin("alice").await(30, TimeUnit.SECONDS);
    String bob = node.user("bob").await(30, TimeUnit.SECONDS);
    BridgeClient alice = bridge(tokens.user());
    BridgeClient bobs = bridge(bob);
    alice.request("chat.join", room("den")).await(30, TimeUnit.SECONDS);
    bobs.request("chat.join", room("den")).await(30, TimeUnit.SECONDS);
    for (int i = 1; i <= 3; i++) {
      send(alice, "den", "hello " + i);
    }

    assertThat(node.call(HttpMethod.DELETE, "/api/rooms/den", null, null).status()).isEqualTo(401);
    Response notCreator = node.call(HttpMethod.DELETE, "/api/rooms/den", bob, null);
    assertThat(notCreator.status()).as("a member who did not create it").isEqualTo(403);
    assertThat(notCreator.errorMessage()).contains("only an admin or the room's creator");
    assertThat(node.call(HttpMethod.DELETE, "/api/rooms/nowhere", tokens.admin(), null).status()).isEqualTo(404);
    assertThat(node.call(HttpMethod.DELETE, "/api/rooms/no%20spaces", tokens.admin(), null).status()).isEqualTo(400);

    assertThat(node.call(HttpMethod.DELETE, "/api/rooms/den", tokens.user(), null).status()).isEqualTo(204);
    JsonObject info = node.call(HttpMethod.GET, "/api/streams/chat.den", bob, null).orThrow("info");
    assertThat(info).isEqualTo(new JsonObject().put("stream", "chat.den").put("firstSeq", 4).put("lastSeq", 3));
    assertThat(events("chat.den", bob)).isEmpty();
    Throwable refused = bobs.request("chat.send", room("den").put("text", "anyone?")).transform(r ->
      io.vertx.core.Future.succeededFuture(r.cause())).await(30, TimeUnit.SECONDS);
    assertThat(refused).as("no message to a room that is gone").isNotNull().hasMessageContaining("no room 'den'");
    JsonArray rooms = bobs.request("chat.rooms", new JsonObject()).await(30, TimeUnit.SECONDS).getJsonArray("rooms");
    assertThat(rooms.stream().map(r -> ((JsonObject) r).getString("name")).toList()).doesNotContain("den");
    assertThat(node.call(HttpMethod.DELETE, "/api/rooms/den", tokens.user(), null).status()).as("once").isEqualTo(404);

    bobs.request("chat.join", room("den")).await(30, TimeUnit.SECONDS);
    assertThat(send(bobs, "den", "fresh start").getLong("seq")).as("a room made again goes on after the old seqs").isEqualTo(4);
    assertThat(node.call(HttpMethod.DELETE, "/api/rooms/den", tokens.admin(), null).status()).as("an admin deletes any room")
      .isEqualTo(204);
    // a message accepted at the instant of a deletion, stored after its history went: the room made again starts empty
    StorageBus.request(node.vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.APPEND, StorageBus.Append.of(
      StorageBus.event("chat.den", new JsonObject().put("type", "TEXT_MESSAGE").put("data", new JsonObject().put("text", "late")), "bob")),
      10_000).await(10, TimeUnit.SECONDS);
    bobs.request("chat.join", room("den")).await(30, TimeUnit.SECONDS);
    assertThat(events("chat.den", bob)).as("nothing of the room before").isEmpty();
    JsonArray trail = events("audit.rooms", tokens.admin());
    JsonObject deleted = trail.stream().map(JsonObject.class::cast).filter(e -> e.getString("type").equals("DELETED")).findFirst()
      .orElseThrow();
    assertThat(deleted.getString("by")).isEqualTo("alice");
    assertThat(deleted.getJsonObject("data")).isEqualTo(room("den"));
  }

  @Test
  void aDeletedUsersMessagesAreRedactedInPlaceAndTheirSessionsEnd() throws Exception {
    TestNode.Tokens tokens = node.userAndAdmin("carol").await(30, TimeUnit.SECONDS);
    String dave = node.user("dave").await(30, TimeUnit.SECONDS);
    BridgeClient carol = bridge(tokens.user());
    BridgeClient daves = bridge(dave);
    carol.request("chat.join", room("lobby")).await(30, TimeUnit.SECONDS);
    daves.request("chat.join", room("lobby")).await(30, TimeUnit.SECONDS);
    JsonObject first = send(carol, "lobby", "my secret");
    send(daves, "lobby", "hi carol");
    send(carol, "lobby", "another secret");

    assertThat(node.call(HttpMethod.DELETE, "/api/users/carol", null, null).status()).isEqualTo(401);
    assertThat(node.call(HttpMethod.DELETE, "/api/users/carol", dave, null).status()).as("one user deleting another").isEqualTo(403);
    assertThat(node.call(HttpMethod.DELETE, "/api/users/" + TestConf.ADMIN, tokens.admin(), null).status())
      .as("an admin the conf names").isEqualTo(403);
    assertThat(node.call(HttpMethod.DELETE, "/api/users/nobody", tokens.admin(), null).status()).isEqualTo(404);

    assertThat(node.call(HttpMethod.DELETE, "/api/users/carol", tokens.user(), null).status()).as("the user herself").isEqualTo(204);
    assertThat(node.call(HttpMethod.GET, "/api/streams/chat.lobby", tokens.user(), null).status()).as("her token, at once")
      .isEqualTo(401);
    assertThat(node.call(HttpMethod.POST, "/api/sessions", null, new JsonObject().put("username", "carol")
      .put("password", "password-carol")).status()).isEqualTo(401);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      JsonArray events = events("chat.lobby", dave);
      assertThat(events.stream().map(e -> ((JsonObject) e).getString("by")).toList())
        .containsExactly("deleted-user", "dave", "deleted-user");
    });
    JsonArray events = events("chat.lobby", dave);
    JsonObject redacted = events.getJsonObject(0);
    assertThat(redacted.getJsonObject("data")).isEqualTo(new JsonObject().put("redacted", true));
    assertThat(redacted.getLong("seq")).isEqualTo(first.getLong("seq"));
    assertThat(redacted.getString("id")).isEqualTo(first.getString("id"));
    assertThat(types(events)).containsOnly("TEXT_MESSAGE");
    assertThat(events.getJsonObject(1).getJsonObject("data").getString("text")).isEqualTo("hi carol");
    JsonArray rooms = daves.request("chat.rooms", new JsonObject()).await(30, TimeUnit.SECONDS).getJsonArray("rooms");
    assertThat(rooms.getJsonObject(0).getJsonArray("members")).as("her membership ended").containsExactly("dave");
    assertThat(node.call(HttpMethod.DELETE, "/api/users/carol", tokens.admin(), null).status()).as("once").isEqualTo(404);
    JsonArray trail = events("audit.users", tokens.admin());
    JsonObject deleted = trail.getJsonObject(trail.size() - 1);
    assertThat(deleted.getString("type")).isEqualTo("DELETED");
    assertThat(deleted.getString("by")).isEqualTo("carol");

    assertThat(node.call(HttpMethod.POST, "/api/users", null, new JsonObject().put("username", "carol")
      .put("password", "password-carol-2")).status()).as("the name is free again").isEqualTo(201);
    assertThat(node.call(HttpMethod.DELETE, "/api/users/dave", tokens.admin(), null).status()).as("an admin deletes anyone")
      .isEqualTo(204);
  }

  @Test
  void aDeviceIsDeletedWithItsData() throws Exception {
    String admin = node.adminToken().await(30, TimeUnit.SECONDS);
    String key = node.call(HttpMethod.POST, "/api/devices", admin, new JsonObject().put("deviceId", "probe-9")).json().getString("key");
    JsonObject reading = new JsonObject().put("kind", "temperature").put("value", 21.5).put("at", Instant.now().toString());
    assertThat(node.call(HttpMethod.POST, "/api/sensors/probe-9/readings", key, new JsonArray().add(reading).add(reading)).status())
      .isEqualTo(201);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(node.db()
      .count("aggregates", new JsonObject()).await(10, TimeUnit.SECONDS)).isEqualTo(2)); // its 1m and 1h buckets

    assertThat(node.call(HttpMethod.DELETE, "/api/devices/probe-9?data=maybe", admin, null).status()).isEqualTo(400);
    assertThat(node.call(HttpMethod.DELETE, "/api/devices/probe-9?data=true", admin, null).status()).isEqualTo(204);
    assertThat(node.call(HttpMethod.POST, "/api/sensors/probe-9/readings", key, reading).status()).isEqualTo(401);
    JsonObject info = node.call(HttpMethod.GET, "/api/streams/sensor.probe-9", admin, null).orThrow("info");
    assertThat(info).isEqualTo(new JsonObject().put("stream", "sensor.probe-9").put("firstSeq", 3).put("lastSeq", 2));
    assertThat(node.db().count("aggregates", new JsonObject()).await(10, TimeUnit.SECONDS)).isZero();
    assertThat(node.db().count("sensors", new JsonObject().put("_id", "probe-9")).await(10, TimeUnit.SECONDS)).isZero();
    assertThat(node.call(HttpMethod.DELETE, "/api/devices/probe-9?data=true", admin, null).status()).as("nothing left").isEqualTo(404);
  }
}
