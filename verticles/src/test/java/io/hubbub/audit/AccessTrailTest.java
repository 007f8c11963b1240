package io.hubbub.audit;

import io.hubbub.client.BridgeClient;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.hubbub.support.Waits;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * audit.access says who was refused, from where, and what they called in their own terms: the bridge
 * address or HTTP route they used, never the internal address the gateway forwarded to, and once each.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class AccessTrailTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("audit")
    .put("access", new JsonObject().put("perRemote", 100).put("total", 100).put("perSeconds", 10)));
  private TestNode node;
  private BridgeClient bridge;
  private String mallory;
  private String admin;

  /** Mallory signed in; an admin's bridge socket, in the room "staff". */
  @BeforeEach
  void signIn(VertxTestContext ctx) {
    node.userAndAdmin("mallory").onSuccess(tokens -> {
        mallory = tokens.user();
        admin = tokens.admin();
      })
      .compose(tokens -> node.bridge(admin)).onSuccess(b -> bridge = b)
      .compose(b -> b.request("chat.join", new JsonObject().put("room", "staff")))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void refusalsCarryThePrincipalTheRemoteAddressAndWhatTheClientCalled(Vertx vertx, VertxTestContext ctx) {
    List<JsonObject> errors = new CopyOnWriteArrayList<>();
    JsonObject text = new JsonObject().put("type", "TEXT_MESSAGE").put("data", new JsonObject().put("text", "let me in"));
    bridge.token(mallory);
    Future.join(List.of(
        bridge.request("chat.send", new JsonObject().put("room", "staff").put("text", "let me in")),
        bridge.request("streams.publish", text.copy().put("stream", "chat.staff")),
        bridge.request("streams.read", new JsonObject().put("stream", "auth.logins")),
        node.post("/api/streams/chat.staff/events", mallory, text)))
      .transform(v -> {
        bridge.register("streams.live.audit.users", errors::add);
        bridge.raw(new JsonObject().put("type", "send").put("address", "storage.append").put("body", new JsonObject())
          .put("headers", new JsonObject().put("authorization", "Bearer " + mallory)).encode());
        return Waits.until(vertx, () -> !errors.isEmpty());
      })
      .compose(v -> refusals(vertx, 6, 50))
      .onComplete(ctx.succeeding(refused -> ctx.verify(() -> {
        List<String> targets = refused.stream().map(r -> r.getString("target")).sorted().toList();
        assertEquals(List.of("POST /api/streams/chat.staff/events", "register streams.live.audit.users", "send chat.send",
          "send storage.append", "send streams.publish chat.staff", "send streams.read auth.logins"), targets,
          "each refusal once, under what the client called");
        refused.forEach(r -> {
          assertEquals("mallory", r.getString("principal"), r.encode());
          assertEquals("127.0.0.1", r.getString("remote"), r.encode());
        });
        ctx.completeNow();
      })));
  }

  /** The REFUSED records of audit.access once there are at least {@code count} (and a moment for any extra). */
  private Future<List<JsonObject>> refusals(Vertx vertx, int count, int triesLeft) {
    return node.get("/api/streams/audit.access/events?limit=1000", admin).compose(page -> {
      List<JsonObject> found = page.json().getJsonArray("events").stream()
        .map(e -> ((JsonObject) e).getJsonObject("data")).toList();
      if (found.size() >= count || triesLeft == 0) {
        Promise<List<JsonObject>> settled = Promise.promise();
        vertx.setTimer(found.size() >= count ? 500 : 1, t -> node.get("/api/streams/audit.access/events?limit=1000", admin)
          .map(again -> again.json().getJsonArray("events").stream().map(e -> ((JsonObject) e).getJsonObject("data")).toList())
          .onComplete(settled));
        return settled.future();
      }
      Promise<List<JsonObject>> later = Promise.promise();
      vertx.setTimer(100, t -> refusals(vertx, count, triesLeft - 1).onComplete(later));
      return later.future();
    });
  }
}
