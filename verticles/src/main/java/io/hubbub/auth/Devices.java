package io.hubbub.auth;

import io.hubbub.bus.AuditBus;
import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageRequests;
import io.hubbub.bus.Streams;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Devices and their keys, for the auth verticle. A key is {@code <deviceId>.<secret>}: the id finds the
 * device's document, whose SHA-256 of the secret must match (compared in constant time). Only the hash
 * is stored; the key is shown once, when the device is registered.
 */
final class Devices {

  static final String COLLECTION = "devices";

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

  Future<JsonObject> create(AuthBus.NewDevice device) {
    String deviceId = device.deviceId();
    String by = device.by();
    String name = device.name();
    String secret = Passwords.randomToken(32);
    JsonObject doc = new JsonObject().put("_id", deviceId).put("name", name).put("keyHash", AuthVerticle.tokenHash(secret))
      .put("created", Instant.now().toString()).put("createdBy", by);
    Names.checkNotReserved(deviceId);
    Supplier<Future<Void>> insert = () -> storage.request(StorageBus.DOC_INSERT, StorageBus.docInsert(COLLECTION, doc));
    return names.claim(deviceId, AuthBus.KIND_DEVICE, insert)
      // the same registration again after a 503 that wrote the claim but not the device: it goes on
      .recover(taken -> Failures.code(taken) != Failures.CONFLICT ? Future.failedFuture(taken)
        : names.claimedAs(deviceId, AuthBus.KIND_DEVICE).compose(ours -> !ours ? Future.failedFuture(taken)
          : insert.get().<Void>mapEmpty().recover(failure -> Future.failedFuture(Failures.code(failure) == Failures.CONFLICT
            ? Failures.of(Failures.CONFLICT, "device '" + deviceId + "' exists") : failure))))
      .compose(v -> audit.apply(new AuditBus.Change(COLLECTION, "CREATED",
        new JsonObject().put("deviceId", deviceId).put("name", name), by)))
      .map(v -> {
        AuthBus.DEVICES_CHANGED.publish(vertx.eventBus(), new AuthBus.DeviceChanged(deviceId, true));
        return new JsonObject().put("deviceId", deviceId).put("name", name).put("key", deviceId + "." + secret);
      });
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
