package io.hubbub.gateway;

import io.hubbub.bus.Caller;
import io.hubbub.bus.Failures;
import io.hubbub.client.BridgeClient;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.hubbub.support.Waits;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The event-bus bridge through a real WebSocket speaking the bridge's frames. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class BridgeTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.node();
  private TestNode node;

  private static JsonObject publish(String stream, String type, String id) {
    JsonObject body = new JsonObject().put("stream", stream).put("type", type).put("data", new JsonObject().put("t", type));
    return id == null ? body : body.put("id", id);
  }

  @Test
  void publishesAndReadsOverTheBridge(VertxTestContext ctx) {
    node.user("gus").compose(token -> node.bridge(token))
      .compose(c -> c.request("streams.publish", publish("app.b", "ONE", "p1"))
        .compose(first -> c.request("streams.publish", publish("app.b", "ONE", "p1")).map(again -> List.of(first, again)))
        .compose(acks -> c.request("streams.read", new JsonObject().put("stream", "app.b").put("from", 1))
          .map(read -> List.of(acks.get(0), acks.get(1), read))))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(1, r.get(0).getLong("seq"));
        assertEquals("p1", r.get(0).getString("id"));
        assertEquals(true, r.get(1).getBoolean("duplicate"));
        assertEquals(1, r.get(1).getLong("seq"));
        JsonObject read = r.get(2);
        assertEquals(1, read.getJsonArray("events").size());
        assertEquals("gus", read.getJsonArray("events").getJsonObject(0).getString("by"));
        assertEquals(1, read.getLong("lastSeq"));
        ctx.completeNow();
      })));
  }

  @Test
  void subscribersReceiveEveryEventOnceInOrder(VertxTestContext ctx) {
    int count = 40;
    List<Long> seqs = new ArrayList<>();
    Checkpoint all = ctx.checkpoint(count);
    node.user("hal").compose(token -> node.bridge(token).compose(subscriber -> {
      subscriber.register("streams.live.app.feed", frame -> {
        ctx.verify(() -> assertEquals("rec", frame.getString("type"), frame.encode()));
        seqs.add(frame.getJsonObject("body").getLong("seq"));
        if (seqs.size() == count) {
          ctx.verify(() -> assertEquals(IntStream.rangeClosed(1, count).mapToObj(Long::valueOf).toList(), seqs));
        }
        all.flag();
      });
      // the read rule check is asynchronous: a round trip after registering means it is in place
      return subscriber.request("streams.read", new JsonObject().put("stream", "app.feed"))
        .compose(v -> node.bridge(token))
        .compose(publisher -> Future.all(IntStream.range(0, count)
          .mapToObj(i -> publisher.request("streams.publish", publish("app.feed", "E", null))).toList()));
    })).onFailure(ctx::failNow);
  }

  @Test
  void aReconnectingClientResumesFromItsLastSeqWithNoGapAndNoRepeat(Vertx vertx, VertxTestContext ctx) {
    List<Long> seen = new CopyOnWriteArrayList<>();
    node.user("kim").compose(token -> node.bridge(token).compose(first -> {
      first.register("streams.live.app.resume", f -> seen.add(f.getJsonObject("body").getLong("seq")));
      return first.request("streams.read", new JsonObject().put("stream", "app.resume"))
        .compose(v -> publishMany(first, "app.resume", 5))
        .compose(v -> Waits.until(vertx, () -> seen.size() == 5))
        .compose(v -> first.close())
        .compose(v -> node.bridge(token))
        .compose(publisher -> publishMany(publisher, "app.resume", 5))
        // back again: register live first, then read what was missed after the last seq seen
        .compose(v -> node.bridge(token))
        .compose(second -> {
          List<Long> live = new CopyOnWriteArrayList<>();
          second.register("streams.live.app.resume", f -> live.add(f.getJsonObject("body").getLong("seq")));
          long last = seen.get(seen.size() - 1);
          return second.request("streams.read", new JsonObject().put("stream", "app.resume").put("from", last + 1))
            .compose(missed -> publishMany(second, "app.resume", 2)
              .compose(v -> Waits.until(vertx, () -> live.contains(12L))).map(v -> {
              List<Long> resumed = new ArrayList<>(seen);
              missed.getJsonArray("events").forEach(e -> resumed.add(((JsonObject) e).getLong("seq")));
              live.stream().filter(seq -> seq > resumed.get(resumed.size() - 1)).forEach(resumed::add);
              return resumed;
            }));
        });
    })).onComplete(ctx.succeeding(resumed -> ctx.verify(() -> {
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seen.subList(0, 5));
      assertEquals(LongStream.rangeClosed(1, 12).boxed().toList(), resumed);
      ctx.completeNow();
    })));
  }

  private static Future<Void> publishMany(BridgeClient client, String stream, int count) {
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < count; i++) {
      chain = chain.compose(v -> client.request("streams.publish", publish(stream, "E", null)).mapEmpty());
    }
    return chain;
  }

  @Test
  void everyFrameIsAuthenticated(VertxTestContext ctx) {
    node.user("ida").compose(token -> node.bridge(token).compose(c -> c.request("streams.publish", publish("app.i", "A", null))
      .compose(ok -> node.request(HttpMethod.DELETE, "/api/sessions/current", token, null))
      .compose(loggedOut -> c.request("streams.publish", publish("app.i", "B", null))
        .transform(r -> Future.succeededFuture(r.failed() ? Failures.code(r.cause()) : 200)))
      .compose(afterLogout -> c.token("forged").request("streams.read", new JsonObject().put("stream", "app.i"))
        .transform(r -> Future.succeededFuture(List.of(afterLogout, r.failed() ? Failures.code(r.cause()) : 200))))
      .compose(codes -> c.token(null).request("streams.read", new JsonObject().put("stream", "app.i"))
        .transform(r -> Future.succeededFuture(List.of(codes.get(0), codes.get(1), r.failed() ? Failures.code(r.cause()) : 200))))))
      .onComplete(ctx.succeeding(codes -> ctx.verify(() -> {
        assertEquals(List.of(401, 401, 401), codes);
        ctx.completeNow();
      })));
  }

  @Test
  void aLogoutClosesTheSocketsItsSessionSubscribedWith(VertxTestContext ctx) {
    Promise<Short> closed = Promise.promise();
    node.user("lea").compose(token -> node.bridge(token).compose(c -> {
      c.socket().closeHandler(v -> closed.tryComplete(c.socket().closeStatusCode()));
      c.register("streams.live.app.lea", f -> { });
      return c.request("streams.read", new JsonObject().put("stream", "app.lea"))
        .compose(v -> node.request(HttpMethod.DELETE, "/api/sessions/current", token, null))
        .compose(v -> closed.future().timeout(10, TimeUnit.SECONDS));
    })).onComplete(ctx.succeeding(code -> ctx.verify(() -> {
      assertEquals((short) 4401, code);
      ctx.completeNow();
    })));
  }

  @Test
  void clientHeadersCannotClaimAPrincipal(Vertx vertx, VertxTestContext ctx) {
    node.bridge(null).compose(c -> {
      JsonObject frame = new JsonObject().put("type", "send").put("address", "streams.publish")
        .put("replyAddress", "00000000-0000-0000-0000-000000000001")
        .put("headers", new JsonObject().put(Caller.PRINCIPAL_HEADER, "{\"name\":\"admin\",\"kind\":\"user\",\"admin\":true}"))
        .put("body", publish("app.forged", "X", null));
      c.raw(frame.encode());
      return Waits.until(vertx, () -> c.frames.stream().anyMatch(f -> "00000000-0000-0000-0000-000000000001".equals(f.getString("address"))))
        .map(v -> c);
    }).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      JsonObject reply = c.frames.stream().filter(f -> "00000000-0000-0000-0000-000000000001".equals(f.getString("address")))
        .findFirst().orElseThrow();
      assertEquals("err", reply.getString("type"));
      assertEquals(401, reply.getInteger("failureCode"));
      ctx.completeNow();
    })));
  }

  @Test
  void subscriptionsFollowTheReadRules(Vertx vertx, VertxTestContext ctx) {
    List<JsonObject> got = new CopyOnWriteArrayList<>();
    node.user("jay").compose(token -> node.bridge(token)).compose(c -> {
      c.register("streams.live.audit.users", got::add);
      c.register("streams.live.nope.x", got::add);
      c.register("streams.other", got::add);
      return Waits.until(vertx, () -> got.size() == 2 && c.errors.contains("access_denied") && c.errors.contains("rejected"))
        .map(v -> c);
    }).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      assertEquals(2, got.size(), got.toString());
      assertEquals(403, got.get(0).getInteger("failureCode"));
      assertEquals(404, got.get(1).getInteger("failureCode"));
      assertTrue(c.errors.contains("access_denied"), "an address that is not bridged is refused: " + c.errors);
      assertTrue(c.errors.contains("rejected"), c.errors.toString());
      ctx.completeNow();
    })));
  }
}
