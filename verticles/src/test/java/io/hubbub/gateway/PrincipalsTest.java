package io.hubbub.gateway;

import io.hubbub.bus.AuthBus;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's principal cache against the real auth verticle and store, its clock in the test's hands: a principal
 * in use is looked up again in the background before its minute is up, and no request waits for that.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class PrincipalsTest {

  private TestNode node;
  private Context context;
  private final AtomicInteger lookups = new AtomicInteger();
  private final AtomicLong now = new AtomicLong(System.currentTimeMillis());

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    node = TestNode.start(vertx, TestConf.node()).await(60, TimeUnit.SECONDS);
    context = vertx.getOrCreateContext();
    vertx.eventBus().addOutboundInterceptor(delivery -> {
      if (delivery.message().address().equals(AuthBus.VERIFY.address())) {
        lookups.incrementAndGet();
      }
      delivery.next();
    });
  }

  @AfterEach
  void stop() throws Exception {
    node.stop().await(60, TimeUnit.SECONDS);
  }

  /** Runs on one context, as the gateway does. */
  private <T> T on(Supplier<Future<T>> action) throws Exception {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(promise));
    return promise.future().await(10, TimeUnit.SECONDS);
  }

  /** A principal cache on the test's context and clock, once it follows revocations. */
  private Principals principals() throws Exception {
    return on(() -> {
      Principals created = new Principals(context.owner(), 5_000, now::get);
      return created.ready().map(created);
    });
  }

  /** Resolves the token: whether the answer was there at once, and who it named. */
  private String resolvedAtOnce(Principals principals, String token, boolean atOnce) throws Exception {
    return on(() -> {
      Future<JsonObject> resolved = principals.resolve(Principals.BEARER + token);
      assertEquals(atOnce, resolved.isComplete(), atOnce ? "answered from the cache" : "waited for a lookup");
      return resolved.map(principal -> principal.getString("name"));
    });
  }

  @Test
  void aPrincipalInUseIsLookedUpAgainInTheBackgroundBeforeItsMinuteIsUp() throws Exception {
    String token = node.user("uma").await(30, TimeUnit.SECONDS);
    Principals principals = principals();
    lookups.set(0);

    assertEquals("uma", resolvedAtOnce(principals, token, false));
    assertEquals(1, lookups.get());
    now.addAndGet(29_000); // before the earliest background lookup (half the minute)
    assertEquals("uma", resolvedAtOnce(principals, token, true));
    Thread.sleep(100);
    assertEquals(1, lookups.get(), "no lookup while the principal is fresh");

    now.addAndGet(17_000); // 46 s: past the latest background lookup (three quarters), before the minute is up
    assertEquals("uma", resolvedAtOnce(principals, token, true));
    assertEquals(2, lookups.get(), "looked up again in the background");
    assertEquals("uma", resolvedAtOnce(principals, token, true));
    assertEquals(2, lookups.get(), "one lookup at a time");
    long deadline = System.currentTimeMillis() + 10_000;
    while (on(() -> Future.succeededFuture(principals.lookingUp(token))) && System.currentTimeMillis() < deadline) {
      Thread.sleep(10);
    }

    now.addAndGet(24_000); // 70 s: the first answer's minute is up, not the one the background lookup gave
    assertEquals("uma", resolvedAtOnce(principals, token, true));
    Thread.sleep(100);
    assertEquals(2, lookups.get(), "the entry the background lookup wrote is fresh");

    now.addAndGet(37_000); // 107 s: that entry's minute is up too
    assertEquals("uma", resolvedAtOnce(principals, token, false));
    assertEquals(3, lookups.get(), "an expired principal is looked up before it is answered");
  }

  @Test
  void theHeaderABridgeFrameCarriesIsThePrincipalEncodedOnceALookup() throws Exception {
    String token = node.user("ursula").await(30, TimeUnit.SECONDS);
    Principals principals = principals();
    String first = on(() -> principals.header(Principals.BEARER + token));
    String again = on(() -> principals.header(Principals.BEARER + token));
    JsonObject resolved = on(() -> principals.resolve(Principals.BEARER + token));

    assertEquals(resolved, new JsonObject(first), "the header is the principal resolve answers");
    assertEquals("ursula", resolved.getString("name"));
    assertSame(first, again, "a cached principal's header is not encoded again");
    assertNull(on(() -> principals.header(null)), "no token, no principal");
    Throwable refused = assertThrows(Exception.class, () -> on(() -> principals.header(Principals.BEARER + "not a token")));
    assertTrue(refused.getMessage().contains("unknown or expired session"), refused.getMessage());
  }
}
