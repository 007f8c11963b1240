package io.hubbub.gateway;

import io.hubbub.bus.IsoTimes;
import io.hubbub.client.Response;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP API of PROTOCOL.md through the real server, auth and storage. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class HttpApiTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.node();
  private TestNode node;

  @Test
  void usersSignUpLogInAndOut(VertxTestContext ctx) {
    JsonObject alice = new JsonObject().put("username", "alice").put("password", "correct horse");
    node.post("/api/users", null, alice)
      .compose(created -> node.post("/api/users", null, alice.copy().put("password", "another horse"))
        .map(taken -> List.of(created, taken)))
      .compose(r -> node.post("/api/sessions", null, alice.copy().put("password", "wrong horse!"))
        .map(wrong -> List.of(r.get(0), r.get(1), wrong)))
      .compose(r -> node.post("/api/sessions", null, alice).map(session -> List.of(r.get(0), r.get(1), r.get(2), session)))
      .compose(r -> {
        String token = r.get(3).json().getString("token");
        return node.get("/api/streams/app.x", token)
          .compose(before -> node.request(HttpMethod.DELETE, "/api/sessions/current", token, null)
            .compose(logout -> node.get("/api/streams/app.x", token)
              .map(after -> List.of(r.get(0), r.get(1), r.get(2), r.get(3), before, logout, after))));
      })
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(201, r.get(0).status());
        assertEquals("alice", r.get(0).json().getString("username"));
        assertEquals(409, r.get(1).status());
        assertEquals(409, r.get(1).errorCode());
        assertEquals(401, r.get(2).status());
        assertEquals(201, r.get(3).status());
        JsonObject session = r.get(3).json();
        assertEquals("alice", session.getString("username"));
        assertEquals(43, session.getString("token").length(), "256 random bits, base64url");
        String expiresAt = session.getString("expiresAt");
        assertEquals(IsoTimes.format(Instant.parse(expiresAt)), expiresAt, "UTC with milliseconds, as the server writes times");
        assertEquals(200, r.get(4).status());
        assertEquals(204, r.get(5).status());
        assertEquals(401, r.get(6).status(), "a token is dead right after logout");
        ctx.completeNow();
      })));
  }

  @Test
  void loginsFailedLoginsLogoutsAndNewUsersAreRecordedForAdmins(VertxTestContext ctx) {
    JsonObject bob = new JsonObject().put("username", "bob").put("password", "bobs-password");
    node.post("/api/users", null, bob)
      .compose(v -> node.post("/api/sessions", null, bob.copy().put("password", "not bobs")))
      .compose(v -> node.post("/api/sessions", null, bob))
      .compose(s -> node.request(HttpMethod.DELETE, "/api/sessions/current", s.json().getString("token"), null))
      .compose(v -> node.user("carol"))
      .compose(carol -> node.adminToken().compose(admin -> Future.all(
        node.get("/api/streams/auth.logins/events", admin),
        node.get("/api/streams/audit.users/events", admin),
        node.get("/api/streams/auth.logins/events", carol))))
      .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        Response logins = all.resultAt(0);
        Response audit = all.resultAt(1);
        Response forbidden = all.resultAt(2);
        assertEquals(200, logins.status());
        List<String> types = logins.json().getJsonArray("events").stream()
          .map(e -> ((JsonObject) e).getString("type") + ":" + ((JsonObject) e).getJsonObject("data").getString("username"))
          .toList();
        assertTrue(types.containsAll(List.of("LOGIN_FAILED:bob", "LOGIN:bob", "LOGOUT:bob", "LOGIN:carol")), types.toString());
        JsonObject login = logins.json().getJsonArray("events").stream().map(JsonObject.class::cast)
          .filter(e -> e.getString("type").equals("LOGIN")).findFirst().orElseThrow();
        assertEquals("127.0.0.1", login.getJsonObject("data").getString("remote"));
        List<String> created = audit.json().getJsonArray("events").stream()
          .map(e -> ((JsonObject) e).getString("type") + ":" + ((JsonObject) e).getJsonObject("data").getString("username"))
          .toList();
        assertTrue(created.containsAll(List.of("CREATED:admin", "CREATED:bob", "CREATED:carol")), created.toString());
        assertFalse(audit.body().toString().contains("hash"), "no password or hash in the audit trail");
        assertEquals(403, forbidden.status());
        ctx.completeNow();
      })));
  }

  @Test
  void publishesSinglesAndBatchesAndReadsThemBack(VertxTestContext ctx) {
    JsonArray batch = new JsonArray(IntStream.range(0, 5)
      .mapToObj(i -> (Object) new JsonObject().put("type", "ITEM").put("data", new JsonObject().put("i", i)).put("id", "b" + i))
      .toList());
    node.user("dora").compose(token -> node.post("/api/streams/app.shop/events", token,
          new JsonObject().put("type", "OPENED").put("data", new JsonObject()).put("expectedSeq", 0))
        .compose(single -> node.post("/api/streams/app.shop/events", token, batch).map(b -> List.of(single, b)))
        .compose(r -> node.post("/api/streams/app.shop/events", token, batch).map(again -> List.of(r.get(0), r.get(1), again)))
        .compose(r -> node.post("/api/streams/app.shop/events", token,
            new JsonObject().put("type", "CLOSED").put("data", new JsonObject()).put("expectedSeq", 3))
          .map(conflict -> List.of(r.get(0), r.get(1), r.get(2), conflict)))
        .compose(r -> node.get("/api/streams/app.shop/events?from=2&limit=3", token)
          .compose(page -> node.get("/api/streams/app.shop", token)
            .map(meta -> List.of(r.get(0), r.get(1), r.get(2), r.get(3), page, meta)))))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(201, r.get(0).status());
        assertEquals(1, r.get(0).json().getLong("seq"));
        assertEquals(201, r.get(1).status());
        JsonArray acks = (JsonArray) r.get(1).value();
        assertEquals(5, acks.size());
        for (int i = 0; i < 5; i++) {
          assertEquals(i + 2, acks.getJsonObject(i).getLong("seq"));
          assertEquals("b" + i, acks.getJsonObject(i).getString("id"));
          assertNull(acks.getJsonObject(i).getValue("duplicate"));
        }
        JsonArray again = (JsonArray) r.get(2).value();
        assertEquals(2, again.getJsonObject(0).getLong("seq"));
        assertEquals(true, again.getJsonObject(0).getBoolean("duplicate"));
        assertEquals(409, r.get(3).status());
        assertEquals(409, r.get(3).errorCode());
        JsonObject page = r.get(4).json();
        assertEquals(3, page.getJsonArray("events").size());
        assertEquals(2, page.getJsonArray("events").getJsonObject(0).getLong("seq"));
        assertEquals("dora", page.getJsonArray("events").getJsonObject(0).getString("by"));
        assertEquals(5, page.getLong("next"));
        assertEquals(6, page.getLong("lastSeq"));
        assertEquals(new JsonObject().put("stream", "app.shop").put("firstSeq", 1).put("lastSeq", 6), r.get(5).json());
        ctx.completeNow();
      })));
  }

  @Test
  void namespaceRulesDecideWhoPublishesAndReads(VertxTestContext ctx) {
    JsonObject event = new JsonObject().put("type", "X").put("data", new JsonObject());
    node.user("erin").compose(erin -> node.adminToken().compose(admin -> Future.all(List.of(
        node.post("/api/streams/app.a/events", null, event),          // 401: authenticated namespace
        node.post("/api/streams/audit.users/events", erin, event),    // 403: server-only
        node.post("/api/streams/audit.users/events", admin, event),   // 403: even admins
        node.get("/api/streams/audit.users/events", erin),            // 403: admins read
        node.get("/api/streams/audit.users/events", admin),           // 200
        node.post("/api/streams/nope.a/events", erin, event),         // 404: undeclared namespace
        node.post("/api/streams/chat.lobby/events", erin, event),     // 400: rooms take only TEXT_MESSAGE (ChatTest has the rest)
        node.post("/api/streams/sensor.d1/events", erin, event),      // 403: devices only
        node.get("/api/streams/alerts.d1/events", erin),              // 200
        node.get("/api/streams/app.a", "forged-token")))))            // 401
      .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        int[] expected = {401, 403, 403, 403, 200, 404, 400, 403, 200, 401};
        for (int i = 0; i < expected.length; i++) {
          Response r = all.resultAt(i);
          assertEquals(expected[i], r.status(), "call " + i + ": " + r.body());
          if (r.status() >= 400) {
            assertEquals(expected[i], r.errorCode());
            assertFalse(r.errorMessage().isBlank());
          }
        }
        ctx.completeNow();
      })));
  }

  @Test
  void aConfWrittenBeforeTheNamesCollectionStillSignsUp(Vertx vertx, VertxTestContext ctx) {
    JsonObject conf = TestConf.node();
    conf.getJsonObject("storage").put("collections", new JsonArray().add("users").add("sessions").add("rooms")
      .add("devices").add("aggregates").add("sensors"));
    TestNode.start(vertx, conf).compose(old -> old.post("/api/users", null,
        new JsonObject().put("username", "ivy").put("password", "password-ivy")).eventually(old::stop))
      .onComplete(ctx.succeeding(created -> ctx.verify(() -> {
        assertEquals(201, created.status(), created.body().toString());
        ctx.completeNow();
      })));
  }

  @Test
  void errorsAreJsonWithTheStatusAndNoStackTrace(VertxTestContext ctx) {
    Future.all(
        node.get("/api/nothing-here", null),
        node.post("/api/users", null, "{not json"),
        node.post("/api/users", null, new JsonObject().put("username", "x")))
      .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        int[] expected = {404, 400, 400};
        for (int i = 0; i < expected.length; i++) {
          Response r = all.resultAt(i);
          assertEquals(expected[i], r.status());
          assertEquals("application/json", r.headers().get("content-type"));
          assertEquals(expected[i], r.errorCode());
          assertFalse(r.body().toString().contains("at io."), "no stack trace");
          assertNotEquals("", r.errorMessage());
        }
        ctx.completeNow();
      })));
  }
}
