package io.hubbub.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import io.hubbub.Caches;
import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Caller;
import io.hubbub.bus.Failures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Turns an {@code Authorization} value into a principal by asking auth, with a cache so a busy socket
 * does not ask on every frame, nor a device on every reading. A logout, a user's deletion or a device's
 * revocation anywhere ({@link AuthBus#REVOKED}) drops the token at once; the minute a principal is kept
 * only bounds how long a gateway that missed such a message (cut off from the cluster) goes on honouring it. A
 * principal in use is looked up again in the background before its minute is up, so no request waits for that.
 * Under the fleet benchmark (2,000 devices, a reading a second each) a 10 s cache was 200 lookups a second:
 * a third of the store's commands.
 */
final class Principals {

  static final String BEARER = "Bearer ";
  private static final long CACHE_MS = 60_000;
  private static final long REFUSED_MS = 30_000;
  private static final int MAX_CACHED = 10_000;
  private static final int MAX_TOKEN_LENGTH = 512;

  /**
   * A token's principal until {@code until}, looked up again in the background from {@code refreshAt} on; or
   * ({@code known} null) the reason it was refused.
   */
  private record Cached(Known known, long until, long refreshAt, String refusal) {

    JsonObject principal() {
      return known == null ? null : known.principal();
    }
  }

  /**
   * A principal and its JSON as {@link Caller#PRINCIPAL_HEADER} carries it, encoded once a lookup: the bridge puts
   * it on every frame a socket sends.
   */
  private record Known(JsonObject principal, String header) {

    static Known of(JsonObject principal) {
      return new Known(principal, principal.encode());
    }
  }

  private final Vertx vertx;
  private final long timeoutMs;
  private final LongSupplier clock;
  private final MessageConsumer<Object> revocations;
  private final List<Consumer<String>> revoked = new ArrayList<>();
  /** Lookups in flight, shared by the frames that carry the same token, so they complete in the order they came. */
  private final Map<String, Future<Known>> pending = new HashMap<>();
  /** Counts revocations: a lookup that started before one does not cache what it found. */
  private long generation;
  private final Cache<String, Cached> cache = Caches.bounded(MAX_CACHED);

  Principals(Vertx vertx, long timeoutMs) {
    this(vertx, timeoutMs, System::currentTimeMillis);
  }

  Principals(Vertx vertx, long timeoutMs, LongSupplier clock) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
    this.clock = clock;
    this.revocations = AuthBus.REVOKED.consumer(vertx.eventBus(), ended -> {
      String token = ended.token();
      String device = ended.device();
      String user = ended.user();
      generation++;
      if (device != null || user != null) {
        String kind = device != null ? AuthBus.KIND_DEVICE : AuthBus.KIND_USER;
        String name = device != null ? device : user;
        cache.asMap().values().removeIf(c -> c.principal() != null && kind.equals(c.principal().getString("kind"))
          && name.equals(c.principal().getString("name")));
      }
      if (token != null) {
        cache.invalidate(token);
        revoked.forEach(listener -> listener.accept(token));
      }
    });
  }

  /** Tells {@code listener} of every token revoked anywhere (a logout), after it has left the cache. */
  void onRevoked(Consumer<String> listener) {
    revoked.add(listener);
  }

  Future<Void> ready() {
    return revocations.completion();
  }

  /** The principal of an Authorization value; null (anonymous) when there is none; 401 when it is bad. */
  Future<JsonObject> resolve(String authorization) {
    return known(authorization).map(known -> known == null ? null : known.principal());
  }

  /**
   * The same principal as {@link Caller#PRINCIPAL_HEADER} carries it (its JSON, encoded once, not once a frame); null
   * (anonymous) when there is none; 401 when it is bad.
   */
  Future<String> header(String authorization) {
    return known(authorization).map(known -> known == null ? null : known.header());
  }

  private Future<Known> known(String authorization) {
    if (authorization == null || authorization.isEmpty()) {
      return Future.succeededFuture();
    }
    if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
      || authorization.length() > BEARER.length() + MAX_TOKEN_LENGTH) {
      return Future.failedFuture(Failures.of(Failures.UNAUTHORIZED, "expected 'Authorization: Bearer <token>'"));
    }
    String token = authorization.substring(BEARER.length()).trim();
    long now = clock.getAsLong();
    // only a well-formed token is ever looked up, so only such a token is found here: its form is checked on a miss
    Cached cached = cache.getIfPresent(token);
    if (cached != null && cached.until() > now) {
      if (cached.known() == null) {
        return Future.failedFuture(Failures.of(Failures.UNAUTHORIZED, cached.refusal()));
      }
      if (now >= cached.refreshAt() && !pending.containsKey(token)) {
        lookup(token, now); // its outcome replaces the entry: a revoked or expired token is refused from then on
      }
      return Future.succeededFuture(cached.known());
    }
    if (!AuthBus.isWellFormed(token)) {
      return Future.failedFuture(Failures.of(Failures.UNAUTHORIZED, "unknown or expired session"));
    }
    Future<Known> inFlight = pending.get(token);
    return inFlight != null ? inFlight : lookup(token, now);
  }

  /**
   * Asks auth who a token is, and caches the answer: a principal for {@value #CACHE_MS} ms (no longer than its
   * session), looked up again in the background after 50 to 75% of that, at random, so tokens first seen together
   * are not all looked up again in the same second; a refusal for {@value #REFUSED_MS} ms.
   */
  private Future<Known> lookup(String token, long now) {
    long startedAt = generation;
    Future<Known> lookup = AuthBus.VERIFY.request(vertx.eventBus(), new AuthBus.Token(token), timeoutMs).map(principal -> {
      long until = Math.min(now + CACHE_MS, principal.getLong("expiresAt", now + CACHE_MS));
      long refreshAt = Math.min(until, now + CACHE_MS / 2 + ThreadLocalRandom.current().nextLong(CACHE_MS / 4));
      Known clean = Known.of(AuthBus.principal(principal.getString("name"), principal.getString("kind"),
        principal.getBoolean("admin", false)));
      if (generation == startedAt) {
        cache.put(token, new Cached(clean, until, refreshAt, null));
      }
      return clean;
    }).onFailure(failure -> {
      if (Failures.code(failure) == Failures.UNAUTHORIZED) {
        // a bad token is refused from here for a while: a client retrying it costs no store lookups
        cache.put(token, new Cached(null, now + REFUSED_MS, now + REFUSED_MS, Failures.message(failure)));
      }
    });
    pending.put(token, lookup);
    return lookup.andThen(done -> pending.remove(token));
  }

  /** Whether a lookup of this token is under way (for tests). */
  boolean lookingUp(String token) {
    return pending.containsKey(token);
  }

  /** Who a principal is, as one key ({@code kind:name}) for what is counted per principal. */
  static String key(JsonObject principal) {
    return principal.getString("kind") + ":" + principal.getString("name");
  }

  /** The bearer token of an Authorization value, or null. */
  static String token(String authorization) {
    return authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
      ? authorization.substring(BEARER.length()).trim() : null;
  }
}
