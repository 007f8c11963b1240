package io.hubbub.auth;

import io.hubbub.bus.AuditBus;
import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Failures;
import io.hubbub.bus.IsoTimes;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageRequests;
import io.hubbub.bus.Streams;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Devices and their keys, for the auth verticle. A key is {@code <deviceId>.<secret>}: the id finds the
 * device's document, whose SHA-256 of the secret must match (compared in constant time). Only the hash
 * is stored; the key is shown once, when the device is registered.
 */
final class Devices {

  static final String COLLECTION = "devices";

  /** How long a registration's {@code Idempotency-Key} stands for it: a day, as payment APIs keep theirs. */
  static final Duration IDEMPOTENCY_WINDOW = Duration.ofHours(24);

  private final Vertx vertx;
  private final StorageRequests storage;
  private final Function<AuditBus.Change, Future<Void>> audit;
  private final Names names;

  Devices(Vertx vertx, StorageRequests storage, Function<AuditBus.Change, Future<Void>> audit,
          Names names) {
    this.vertx = vertx;
    this.storage = storage;
    this.audit = audit;
    this.names = names;
  }

  /** Whether a bearer token is a device key rather than a session token (those have no dot). */
  static boolean isKey(String token) {
    return token.indexOf('.') > 0;
  }

  /**
   * Registers a device: its name is claimed, its document written, {@code CREATED} audited; 409 when the name is
   * taken. The same registration again is answered as the first was when it can be told to be the same (see
   * {@link #again}).
   */
  Future<JsonObject> create(AuthBus.NewDevice device) {
    String deviceId = device.deviceId();
    String by = device.by();
    String name = device.name();
    String secret = Passwords.randomToken(32);
    JsonObject doc = new JsonObject().put("_id", deviceId).put("name", name).put("keyHash", AuthVerticle.tokenHash(secret))
      .put("created", IsoTimes.format(Instant.now())).put("createdBy", by);
    if (device.idempotencyKey() != null) {
      doc.put("idempotencyKey", device.idempotencyKey());
    }
    Names.checkNotReserved(deviceId);
    Supplier<Future<Void>> insert = () -> storage.request(StorageBus.DOC_INSERT, StorageBus.docInsert(COLLECTION, doc));
    return names.claim(deviceId, AuthBus.KIND_DEVICE, insert)
      .map(v -> "CREATED")
      .recover(taken -> Failures.code(taken) != Failures.CONFLICT ? Future.failedFuture(taken) : again(device, doc, insert, taken))
      .compose(type -> {
        if (type.equals("UPDATED")) { // re-keyed: the key of the lost answer stops working wherever it was cached
          AuthBus.REVOKED.publish(vertx.eventBus(), AuthBus.Revoked.device(deviceId));
        }
        JsonObject data = new JsonObject().put("deviceId", deviceId).put("name", name);
        return audit.apply(new AuditBus.Change(COLLECTION, type, type.equals("UPDATED") ? data.put("rekeyed", true) : data, by));
      })
      .map(v -> {
        AuthBus.DEVICES_CHANGED.publish(vertx.eventBus(), new AuthBus.DeviceChanged(deviceId, true));
        return new JsonObject().put("deviceId", deviceId).put("name", name).put("key", deviceId + "." + secret);
      });
  }

  /**
   * A registration whose name is taken, which may be the same registration again (its client lost the answer to a
   * 503 or a dropped connection, and the first one wrote all or part of what it does): {@code CREATED} once the
   * device is written when only the name's claim was (this spelling, a device); {@code UPDATED} once the device is
   * re-keyed when it exists and this request carries the {@code Idempotency-Key} its registration did, by the same
   * admin, with the same name, within {@link #IDEMPOTENCY_WINDOW}: only the new key is shown and works (the one only
   * the lost answer showed stops working). Anything else is the 409 of a taken name.
   */
  private Future<String> again(AuthBus.NewDevice device, JsonObject doc, Supplier<Future<Void>> insert, Throwable taken) {
    String deviceId = device.deviceId();
    Throwable exists = Failures.of(Failures.CONFLICT, "device '" + deviceId + "' exists");
    return names.claimedAs(deviceId, AuthBus.KIND_DEVICE).compose(ours -> !ours ? Future.failedFuture(taken)
      : storage.request(StorageBus.DOC_FIND, StorageBus.docKey(COLLECTION, deviceId))
        .recover(failure -> Failures.code(failure) == Failures.NOT_FOUND ? Future.succeededFuture(null) : Future.failedFuture(failure))
        .compose(found -> {
          if (found == null) {
            return insert.get().map(v -> "CREATED").recover(failure -> Future.failedFuture(
              Failures.code(failure) == Failures.CONFLICT ? exists : failure));
          }
          if (!sameRegistration(found, device, Instant.now())) {
            return Future.failedFuture(exists);
          }
          // only the key it found: a device revoked meanwhile is not written again, and of two retries at once one
          // re-keys and the other is told so (each answer's key would otherwise undo the other's)
          JsonObject rekeyed = found.copy().put("keyHash", doc.getString("keyHash"));
          return storage.request(StorageBus.DOC_SWAP, StorageBus.docSwap(COLLECTION, rekeyed, "keyHash", found.getString("keyHash", "")))
            .compose(swapped -> swapped ? Future.succeededFuture("UPDATED") : Future.failedFuture(Failures.of(Failures.CONFLICT,
              "device '" + deviceId + "' was re-keyed or revoked by another request meanwhile")));
        }));
  }

  /** Whether {@code device} repeats the registration that wrote {@code found}, by the rules of {@link #again}. */
  static boolean sameRegistration(JsonObject found, AuthBus.NewDevice device, Instant now) {
    if (device.idempotencyKey() == null || !device.idempotencyKey().equals(found.getValue("idempotencyKey"))
      || !device.by().equals(found.getValue("createdBy")) || !device.name().equals(found.getValue("name"))
      || !(found.getValue("created") instanceof String created)) {
      return false;
    }
    try {
      return Instant.parse(created).plus(IDEMPOTENCY_WINDOW).isAfter(now);
    } catch (DateTimeParseException e) {
      return false;
    }
  }

  Future<JsonObject> delete(AuthBus.DeviceRemoval removal) {
    String deviceId = removal.deviceId();
    String by = removal.by();
    return storage.request(StorageBus.DOC_DELETE, StorageBus.docKey(COLLECTION, deviceId)).compose(deleted -> {
      if (deleted == 0) {
        throw Failures.of(Failures.NOT_FOUND, "no device '" + deviceId + "'");
      }
      AuthBus.REVOKED.publish(vertx.eventBus(), AuthBus.Revoked.device(deviceId));
      AuthBus.DEVICES_CHANGED.publish(vertx.eventBus(), new AuthBus.DeviceChanged(deviceId, false));
      return names.release(deviceId).compose(v -> audit.apply(new AuditBus.Change(COLLECTION, "DELETED", new JsonObject().put("deviceId", deviceId), by)))
        .map(v -> new JsonObject());
    });
  }

  Future<JsonObject> list() {
    return storage.request(StorageBus.DOC_LIST, StorageBus.docList(COLLECTION, 10_000)).map(found -> new JsonObject()
      .put("devices", new JsonArray(found.stream()
        .map(doc -> new JsonObject().put("deviceId", doc.getString("_id")).put("name", doc.getString("name"))
          .put("created", doc.getString("created")).put("createdBy", doc.getString("createdBy")))
        .toList())));
  }

  /** The principal of a device key; 401 for an unknown device or a wrong secret. */
  Future<JsonObject> verify(String key) {
    int dot = key.lastIndexOf('.');
    String deviceId = key.substring(0, dot);
    byte[] presented = AuthVerticle.tokenHash(key.substring(dot + 1)).getBytes(StandardCharsets.UTF_8);
    if (!Streams.isKey(deviceId)) {
      return Future.failedFuture(Failures.of(Failures.UNAUTHORIZED, "unknown or revoked device key"));
    }
    return storage.request(StorageBus.DOC_FIND, StorageBus.docKey(COLLECTION, deviceId))
      .recover(failure -> Future.failedFuture(Failures.code(failure) == Failures.NOT_FOUND
        ? Failures.of(Failures.UNAUTHORIZED, "unknown or revoked device key") : failure))
      .map(doc -> {
        byte[] stored = doc.getString("keyHash", "").getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(presented, stored)) {
          throw Failures.of(Failures.UNAUTHORIZED, "unknown or revoked device key");
        }
        return AuthBus.principal(deviceId, AuthBus.KIND_DEVICE, false);
      });
  }
}
