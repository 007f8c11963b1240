package io.hubbub.auth;

import io.hubbub.client.Response;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sign-ups past what hashing can take: some are refused at once with 503, and every answer is true. A 201
 * account exists, a 503 account does not (its name is free), so a client that retries gets its account.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class SignUpLoadTest {

  private static final int SIGN_UPS = 60;
  /** Slow hashes on one thread: 32 may wait, the rest are refused. */
  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("auth")
    .put("passwordIterations", 60_000).put("hashThreads", 1));
  private TestNode node;

  @Test
  void aSaturatedHashPoolRefusesWithoutWritingAndEveryAnswerIsTrue(VertxTestContext ctx) {
    List<Future<Response>> signUps = IntStream.range(0, SIGN_UPS)
      .mapToObj(i -> node.post("/api/users", null, credentials("load" + i, "first-password"))).toList();
    Future.join(new ArrayList<Future<?>>(signUps))
      .transform(v -> {
        // each name again with another password: 409 where the first said 201, 201 where it said 503
        List<Response> again = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (int i = 0; i < SIGN_UPS; i++) {
          String name = "load" + i;
          chain = chain.compose(x -> node.post("/api/users", null, credentials(name, "second-password")).map(r -> {
            again.add(r);
            return null;
          }));
        }
        return chain.map(again);
      })
      .onComplete(ctx.succeeding(again -> ctx.verify(() -> {
        List<Integer> first = signUps.stream().map(f -> f.result().status()).toList();
        assertTrue(first.stream().allMatch(s -> s == 201 || s == 503), "first answers: " + first);
        assertTrue(first.contains(503), "some refused at once: " + first);
        assertTrue(first.contains(201), "some served: " + first);
        for (int i = 0; i < SIGN_UPS; i++) {
          int expected = first.get(i) == 201 ? 409 : 201;
          assertEquals(expected, again.get(i).status(), "load" + i + " first answered " + first.get(i));
        }
        signUps.stream().map(Future::result).filter(r -> r.status() == 503)
          .forEach(r -> assertEquals("1", r.headers().get("Retry-After")));
        ctx.completeNow();
      })));
  }

  private static JsonObject credentials(String name, String password) {
    return new JsonObject().put("username", name).put("password", password);
  }
}
