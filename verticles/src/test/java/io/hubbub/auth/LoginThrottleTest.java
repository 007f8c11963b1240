package io.hubbub.auth;

import io.hubbub.bus.AuthBus;
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
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PROTOCOL v1.1 "Limits": sign-ups and logins past auth.throttle answer 429 with Retry-After, per user name
 * and per remote address; a sign-up retried after a lost answer is answered as it was; bad tokens are
 * remembered for a while, malformed ones never reach auth.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class LoginThrottleTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("auth")
    .put("throttle", new JsonObject().put("perUser", 3).put("perAddress", 12).put("perSeconds", 60)));
  private TestNode node;

  @Test
  void guessesPastTheThrottleAre429PerNameThenPerAddress(VertxTestContext ctx) {
    JsonObject alice = credentials("alice", "alice-password");
    List<Response> answers = new ArrayList<>();
    // address: 12 attempts a minute; alice: 3. Sign-up (alice 1), two wrong guesses (alice 2, 3), then alice is refused.
    Future<Void> chain = node.post("/api/users", null, alice).map(r -> record(answers, r));
    for (int i = 0; i < 3; i++) {
      chain = chain.compose(v -> node.post("/api/sessions", null, alice.copy().put("password", "wrong-guess")).map(r -> record(answers, r)));
    }
    chain = chain.compose(v -> node.post("/api/sessions", null, alice).map(r -> record(answers, r)));
    // the address has spent 5 (refusals count too): 7 more sign-ups of other names pass, then the address is refused
    for (int i = 0; i < 9; i++) {
      String name = "user" + i;
      chain = chain.compose(v -> node.post("/api/users", null, credentials(name, "password-" + name)).map(r -> record(answers, r)));
    }
    chain.onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      List<Integer> statuses = answers.stream().map(Response::status).toList();
      assertEquals(List.of(201, 401, 401, 429, 429, 201, 201, 201, 201, 201, 201, 201, 429, 429), statuses);
      for (Response refused : List.of(answers.get(3), answers.get(4), answers.get(12))) {
        assertEquals(429, refused.errorCode());
        long retryAfter = Long.parseLong(refused.headers().get("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
      }
      ctx.completeNow();
    })));
  }

  @Test
  void aSignUpRetriedAfterALostAnswerIsAnsweredAsItWas(VertxTestContext ctx) {
    JsonObject carol = credentials("carol", "carol-password");
    node.post("/api/users", null, carol)
      .compose(first -> node.post("/api/users", null, carol).map(again -> List.of(first, again)))
      .compose(r -> node.post("/api/users", null, carol.copy().put("password", "someone-else")).map(other -> List.of(r.get(0), r.get(1), other)))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(201, r.get(0).status());
        assertEquals(201, r.get(1).status(), "the same sign-up again: it happened, and says so");
        assertEquals("carol", r.get(1).json().getString("username"));
        assertEquals(409, r.get(2).status(), "another password: the name is taken");
        ctx.completeNow();
      })));
  }

  @Test
  void badTokensAreRememberedAndMalformedOnesNeverAsked(VertxTestContext ctx) {
    AtomicInteger verifies = new AtomicInteger();
    node.vertx.eventBus().addOutboundInterceptor(delivery -> { // the node's bus: what the gateway asks auth
      if (AuthBus.VERIFY.address().equals(delivery.message().address())) {
        verifies.incrementAndGet();
      }
      delivery.next();
    });
    String wellFormed = "A".repeat(43);
    Future<Void> chain = Future.succeededFuture();
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      chain = chain.compose(v -> node.get("/api/streams/app.x", wellFormed).map(r -> record(statuses, r.status())));
    }
    int[] afterWellFormed = new int[1];
    chain = chain.map(v -> {
      afterWellFormed[0] = verifies.get();
      return null;
    });
    for (String malformed : List.of("short", "x".repeat(44), "dev.ice.key", "a$b")) {
      chain = chain.compose(v -> node.get("/api/streams/app.x", malformed).map(r -> record(statuses, r.status())));
    }
    chain.onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertEquals(List.of(401, 401, 401, 401, 401, 401, 401, 401, 401), statuses);
      assertEquals(1, afterWellFormed[0], "one lookup for five uses of the same bad token");
      assertEquals(1, verifies.get(), "malformed tokens are refused without asking auth");
      ctx.completeNow();
    })));
  }

  private static <T> Void record(List<T> list, T value) {
    list.add(value);
    return null;
  }

  private static JsonObject credentials(String name, String password) {
    return new JsonObject().put("username", name).put("password", password);
  }
}
