package io.hubbub.auth;

import com.github.benmanes.caffeine.cache.Cache;
import io.hubbub.Backoff;
import io.hubbub.Caches;
import io.hubbub.bus.AuditBus;
import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Caller;
import io.hubbub.bus.ChatBus;
import io.hubbub.bus.Consumers;
import io.hubbub.bus.Contract;
import io.hubbub.bus.EventRules;
import io.hubbub.bus.Failures;
import io.hubbub.bus.IsoTimes;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageClient;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;

/**
 * Users, sessions and login events. Passwords are hashed off the event loop; sessions are random
 * 256-bit tokens, stored only as their SHA-256, with an expiry. Every login, failed login and logout
 * is appended to {@code auth.logins}; every new user to {@code audit.users}.
 */
public final class AuthVerticle extends VerticleBase {

  private static final int MIN_PASSWORD = 8;
  private static final int MAX_PASSWORD = 1024;
  private static final int MAX_CACHED_SESSIONS = 100_000;
  private final Backoff bootstrap = new Backoff(500, 30_000);
  private static final int QUEUED_PER_HASH_THREAD = 32;
  private static final long SWEEP_MS = 60_000;
  private static final Logger log = LoggerFactory.getLogger(AuthVerticle.class);

  private Consumers consumers;
  private final Cache<String, JsonObject> sessions = Caches.bounded(MAX_CACHED_SESSIONS);
  private Passwords passwords;
  private Devices devices;
  private Names names;
  private Throttle throttle;
  private Hashing hashing;
  private long sweeper;
  private final HubbubConf conf;
  private final Set<String> admins;
  private final long sessionTtlMs;
  private final long storageTimeoutMs;
  private StorageClient storage;

  public AuthVerticle(HubbubConf conf) {
    this.conf = conf;
    this.admins = Set.copyOf(conf.admins());
    this.sessionTtlMs = conf.auth().sessionTtlSeconds() * 1_000;
    this.storageTimeoutMs = conf.mongo().busTimeoutMs();
  }

  @Override
  public Future<?> start() {
    HubbubConf.Auth auth = conf.auth();
    storage = new StorageClient(vertx, conf.storage().partitions(), storageTimeoutMs);
    names = new Names(storage);
    devices = new Devices(vertx, storage, this::audit, names);
    throttle = new Throttle(auth.throttle());
    int hashThreads = auth.hashThreads();
    hashing = new Hashing(vertx, hashThreads, QUEUED_PER_HASH_THREAD * hashThreads, storageTimeoutMs);
    sweeper = vertx.setPeriodic(SWEEP_MS, t -> throttle.sweep(System.currentTimeMillis()));
    return vertx.executeBlocking(() -> new Passwords(auth.passwordIterations()))
      .compose(p -> {
        passwords = p;
        consumers = new Consumers(vertx.eventBus());
        consumers.serve(AuthBus.REGISTER, this::register);
        consumers.serve(AuthBus.LOGIN, this::login);
        consumers.serve(AuthBus.LOGOUT, this::logout);
        consumers.serve(AuthBus.VERIFY, this::verify);
        consumers.serve(AuthBus.DEVICE_CREATE, devices::create);
        consumers.serve(AuthBus.DEVICE_DELETE, devices::delete);
        consumers.serve(AuthBus.DEVICE_LIST, none -> devices.list());
        consumers.add(AuthBus.REVOKED.consumer(vertx.eventBus(), revoked -> {
          if (revoked.token() != null) {
            sessions.invalidate(tokenHash(revoked.token()));
          }
          if (revoked.user() != null) {
            sessions.asMap().values().removeIf(session -> revoked.user().equals(session.getString("username")));
          }
        }));
        consumers.serve(AuthBus.USER_DELETE, this::deleteUser);
        return consumers.ready();
      })
      .compose(v -> createAdmin(auth.adminPassword()));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweeper);
    return hashing.close();
  }

  /** Creates the conf's first admin on first start, with the given password or a random one logged once. */
  private Future<Void> createAdmin(String configured) {
    String admin = conf.firstAdmin();
    String password = configured != null && !configured.isEmpty() ? configured : Passwords.randomToken(12);
    return storage(StorageBus.DOC_FIND, StorageBus.docKey("users", admin))
      .<Void>mapEmpty()
      .recover(failure -> {
        if (Failures.code(failure) != Failures.NOT_FOUND) {
          return Future.failedFuture(failure);
        }
        return register(new AuthBus.Credentials(admin, password, null)).map(created -> {
          if (configured == null || configured.isEmpty()) {
            log.warn("created admin user [username: {}, password: {}]: store it now, it is not shown again", admin, password);
          } else {
            log.info("created admin user [username: {}] with HUBBUB_ADMIN_PASSWORD", admin);
          }
          return null;
        });
      })
      .recover(failure -> {
        if (Failures.code(failure) == Failures.CONFLICT) {
          return Future.succeededFuture();
        }
        long delay = bootstrap.next();
        log.warn("admin user not checked yet, retrying [in: {} ms, error: {}]", delay, failure.getMessage());
        vertx.setTimer(delay, t -> createAdmin(configured));
        return Future.succeededFuture();
      });
  }

  private Future<JsonObject> register(AuthBus.Credentials credentials) {
    String username = credentials.username();
    String password = credentials.password();
    if (!AuthBus.USERNAME.matcher(username).matches()) {
      throw Failures.badRequest("username must be 1 to 64 letters, digits, '_' or '-'");
    }
    Names.checkNotReserved(username);
    if (password.length() < MIN_PASSWORD || password.length() > MAX_PASSWORD) {
      throw Failures.badRequest("password must be " + MIN_PASSWORD + " to " + MAX_PASSWORD + " characters");
    }
    if (credentials.remote() != null) {
      throttle.attempt(username, credentials.remote(), System.currentTimeMillis());
    }
    return hashing.run(() -> passwords.hash(password))
      .compose(hash -> names.claim(username, AuthBus.KIND_USER, () -> insertUser(username, hash))
        .recover(failure -> Failures.code(failure) == Failures.CONFLICT
          ? sameSignUp(username, password, hash, failure) : Future.failedFuture(failure)))
      .map(v -> {
        // the account exists now: a trail that cannot be written is logged, not turned into a false 503
        audit(new AuditBus.Change("users", "CREATED", new JsonObject().put("username", username), username))
          .onFailure(failure -> log.warn("sign-up not audited [username: {}, error: {}]", username, failure.getMessage()));
        return new JsonObject().put("username", username);
      });
  }

  private Future<Void> insertUser(String username, String hash) {
    return storage(StorageBus.DOC_INSERT, StorageBus.docInsert("users", new JsonObject()
      .put("_id", username).put("hash", hash).put("created", IsoTimes.format(Instant.now()))));
  }

  /**
   * A sign-up whose name is taken is answered as the first one was when it is the same sign-up again (the
   * client lost the answer and retried): the account exists with this password, or the name is claimed for
   * this user and the account was never written. Anything else is 409.
   */
  private Future<Void> sameSignUp(String username, String password, String hash, Throwable taken) {
    return storage(StorageBus.DOC_FIND, StorageBus.docKey("users", username))
      .compose(found -> hashing.run(() -> passwords.verify(found.getString("hash"), password))
        .compose(same -> same ? Future.<Void>succeededFuture() : Future.failedFuture(taken)))
      .recover(failure -> Failures.code(failure) != Failures.NOT_FOUND ? Future.failedFuture(failure)
        : names.claimedAs(username, AuthBus.KIND_USER)
          .compose(ours -> ours ? insertUser(username, hash).<Void>mapEmpty() : Future.failedFuture(taken)));
  }

  private Future<JsonObject> login(AuthBus.Credentials credentials) {
    String username = credentials.username();
    String password = credentials.password();
    String remote = credentials.remote() == null ? "" : credentials.remote();
    throttle.attempt(username, remote, System.currentTimeMillis());
    Future<JsonObject> user = AuthBus.USERNAME.matcher(username).matches()
      ? storage(StorageBus.DOC_FIND, StorageBus.docKey("users", username))
        .recover(failure -> Failures.code(failure) == Failures.NOT_FOUND
          ? Future.succeededFuture(null) : Future.failedFuture(failure))
      : Future.succeededFuture(null);
    JsonObject who = new JsonObject().put("username", EventRules.clip(username, 64)).put("remote", remote);
    return user
      .compose(doc -> hashing.run(() -> passwords.verify(doc == null ? null : doc.getString("hash"), password)))
      .compose(ok -> {
        if (!ok) {
          return record(AuthBus.LOGINS_STREAM, "LOGIN_FAILED", who, Caller.SERVER)
            .transform(v -> Future.failedFuture(Failures.of(Failures.UNAUTHORIZED, "wrong username or password")));
        }
        String token = Passwords.randomToken(32);
        long expiresAt = System.currentTimeMillis() + sessionTtlMs;
        JsonObject session = new JsonObject().put("_id", tokenHash(token)).put("username", username).put("expiresAt", expiresAt);
        // a login whose LOGIN event cannot be stored did not happen: its session goes again
        return storage(StorageBus.DOC_INSERT, StorageBus.docInsert("sessions", session))
          .compose(v -> record(AuthBus.LOGINS_STREAM, "LOGIN", who, username)
            .recover(failure -> storage(StorageBus.DOC_DELETE, StorageBus.docKey("sessions", tokenHash(token)))
              .transform(deleted -> Future.failedFuture(failure))))
          .map(v -> new JsonObject()
            .put("token", token)
            .put("username", username)
            .put("expiresAt", IsoTimes.format(expiresAt)));
      });
  }

  private Future<JsonObject> logout(AuthBus.Token request) {
    String token = request.token();
    String hash = tokenHash(token);
    return session(hash).compose(session -> storage(StorageBus.DOC_DELETE, StorageBus.docKey("sessions", hash))
      .compose(v -> {
        AuthBus.REVOKED.publish(vertx.eventBus(), AuthBus.Revoked.session(token));
        String username = session.getString("username");
        return record(AuthBus.LOGINS_STREAM, "LOGOUT", new JsonObject().put("username", username), username);
      })
      .map(v -> new JsonObject()));
  }

  private Future<JsonObject> verify(AuthBus.Token request) {
    String token = request.token();
    if (Devices.isKey(token)) {
      return devices.verify(token);
    }
    return session(tokenHash(token)).map(session -> {
      String name = session.getString("username");
      return AuthBus.principal(name, AuthBus.KIND_USER, admins.contains(name))
        .put("expiresAt", session.getLong("expiresAt"));
    });
  }

  /**
   * Deletes a user: their sessions first (every gateway drops the tokens at once), so that nothing more is done in
   * their name, then their chat erasure is queued durably (a chat instance is told, and any finds it at its start),
   * then the account and its name go. A retry after a failure goes on where it stopped; the name of an account
   * already gone is freed.
   */
  private Future<JsonObject> deleteUser(AuthBus.UserRemoval removal) {
    String username = removal.username();
    if (admins.contains(username)) {
      throw Failures.of(Failures.FORBIDDEN, "'" + username + "' is an admin named in the conf: take it out of 'admins' first");
    }
    return storage(StorageBus.DOC_FIND, StorageBus.docKey("users", username))
      .recover(failure -> Failures.code(failure) != Failures.NOT_FOUND ? Future.failedFuture(failure)
        : names.claimedAs(username, AuthBus.KIND_USER)
          .compose(claimed -> claimed ? names.release(username) : Future.succeededFuture())
          .transform(v -> Future.failedFuture(Failures.of(Failures.NOT_FOUND, "no user '" + username + "'"))))
      .compose(user -> storage(StorageBus.DOC_DELETE_WHERE, new StorageBus.DocWhere("sessions", "username", username, false)))
      .compose(ended -> {
        AuthBus.REVOKED.publish(vertx.eventBus(), AuthBus.Revoked.user(username));
        JsonObject erasure = new JsonObject().put("_id", username).put("queued", IsoTimes.format(Instant.now()));
        return storage(StorageBus.DOC_PUT, StorageBus.docPut(ChatBus.ERASURES_COLLECTION, new JsonArray().add(erasure)));
      })
      .compose(queued -> {
        ChatBus.ERASE.send(vertx.eventBus(), new ChatBus.Erasure(username));
        return storage(StorageBus.DOC_DELETE, StorageBus.docKey("users", username));
      })
      .compose(deleted -> names.release(username))
      .map(v -> {
        // the account is gone: a trail that cannot be written is logged, not turned into a false 503
        audit(new AuditBus.Change("users", "DELETED", new JsonObject().put("username", username), removal.by()))
          .onFailure(failure -> log.warn("user deletion not audited [username: {}, error: {}]", username, failure.getMessage()));
        return new JsonObject();
      });
  }

  /** A live session by token hash, from the cache or the store; 401 when unknown or expired. */
  private Future<JsonObject> session(String hash) {
    JsonObject cached = sessions.getIfPresent(hash);
    Future<JsonObject> found = cached != null ? Future.succeededFuture(cached)
      : storage(StorageBus.DOC_FIND, StorageBus.docKey("sessions", hash));
    return found
      .recover(failure -> Future.failedFuture(Failures.code(failure) == Failures.NOT_FOUND
        ? Failures.of(Failures.UNAUTHORIZED, "unknown or expired session") : failure))
      .compose(session -> {
        if (session.getLong("expiresAt", 0L) <= System.currentTimeMillis()) {
          sessions.invalidate(hash);
          return storage(StorageBus.DOC_DELETE, StorageBus.docKey("sessions", hash))
            .transform(v -> Future.failedFuture(Failures.of(Failures.UNAUTHORIZED, "unknown or expired session")));
        }
        sessions.put(hash, session);
        return Future.succeededFuture(session);
      });
  }

  /** Appends a server event to a stream: login trail and audit. */
  private Future<Void> record(String stream, String type, JsonObject data, String by) {
    JsonObject event = new JsonObject().put("stream", stream).put("type", type).put("data", data).put("by", by);
    return storage.request(StorageBus.APPEND, StorageBus.Append.of(event)).mapEmpty();
  }

  private Future<Void> audit(AuditBus.Change record) {
    return AuditBus.tell(vertx.eventBus(), record, storageTimeoutMs);
  }

  private <Q, R> Future<R> storage(Contract<Q, R> contract, Q request) {
    return storage.request(contract, request);
  }

  static String tokenHash(String token) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
