package io.hubbub.storage;

import io.hubbub.client.Response;
import io.hubbub.support.TcpProxy;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.hubbub.support.TestStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store goes away and comes back: fast 503s and a 503 /ready meanwhile, then full service. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class StoreOutageTest {

  private static final long STORE_TIMEOUT_MS = 1_000;
  private TcpProxy proxy;
  private TestNode node;
  private String token;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext ctx) {
    TcpProxy.to(vertx, TestStore.uri())
      .compose(p -> {
        proxy = p;
        JsonObject conf = TestConf.node();
        conf.getJsonObject("mongo").put("uri", p.uri()).put("timeoutMs", STORE_TIMEOUT_MS);
        return TestNode.start(vertx, conf);
      })
      .compose(n -> {
        node = n;
        return n.user("olga");
      })
      .onComplete(ctx.succeeding(t -> {
        token = t;
        ctx.completeNow();
      }));
  }

  @AfterEach
  void undeploy(VertxTestContext ctx) {
    node.stop().eventually(() -> proxy.close()).onComplete(ctx.succeedingThenComplete());
  }

  private Future<Response> publish(String id) {
    return node.post("/api/streams/app.outage/events", token,
      new JsonObject().put("type", "E").put("data", new JsonObject()).put("id", id));
  }

  @Test
  void storeDownMeans503FastAndReadyDownThenRecovery(Vertx vertx, VertxTestContext ctx) {
    long[] took = new long[1];
    publish("before")
      .compose(before -> proxy.cut().map(before))
      .compose(before -> {
        long start = System.nanoTime();
        return publish("during").map(during -> {
          took[0] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          return List.of(before, during);
        });
      })
      .compose(r -> node.get("/ready", null).map(ready -> List.of(r.get(0), r.get(1), ready)))
      .compose(r -> proxy.restore().map(r))
      .compose(r -> eventually(vertx, () -> node.get("/ready", null), 200)
        .compose(ready -> eventually(vertx, () -> publish("during"), 201))
        .compose(retried -> node.get("/api/streams/app.outage/events", token)
          .map(read -> List.of(r.get(0), r.get(1), r.get(2), retried, read))))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(201, r.get(0).status());
        assertEquals(503, r.get(1).status());
        assertEquals(503, r.get(1).errorCode());
        assertEquals("1", r.get(1).headers().get("Retry-After"));
        assertTrue(took[0] < STORE_TIMEOUT_MS * 5, "503 comes within a few store timeouts, took " + took[0] + " ms");
        assertEquals(503, r.get(2).status(), "/ready says the store is gone");
        assertEquals(201, r.get(3).status(), "the retried publish is stored once the store is back");
        List<String> ids = r.get(4).json().getJsonArray("events").stream().map(e -> ((JsonObject) e).getString("id")).toList();
        assertEquals(List.of("before", "during"), ids);
        ctx.completeNow();
      })));
  }

  /** Repeats a call every 200 ms until it answers with the status, for up to 30 s. */
  private static Future<Response> eventually(Vertx vertx, Supplier<Future<Response>> call, int status) {
    Promise<Response> result = Promise.promise();
    long deadline = System.currentTimeMillis() + 30_000;
    attempt(vertx, call, status, deadline, result);
    return result.future();
  }

  private static void attempt(Vertx vertx, Supplier<Future<Response>> call, int status, long deadline, Promise<Response> result) {
    call.get().onComplete(ar -> {
      if (ar.succeeded() && ar.result().status() == status) {
        result.complete(ar.result());
      } else if (System.currentTimeMillis() > deadline) {
        result.complete(ar.succeeded() ? ar.result() : null);
      } else {
        vertx.setTimer(200, t -> attempt(vertx, call, status, deadline, result));
      }
    });
  }
}
