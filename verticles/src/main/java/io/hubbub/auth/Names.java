package io.hubbub.auth;

import io.hubbub.bus.Caller;
import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageRequests;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The one name space of users and devices: a name is claimed in {@code names} under its lower-case form
 * before its user or device is created, so {@code Alice} cannot appear beside {@code alice}, nor a device
 * beside a user of the same name (both would publish with the same {@code by}). Reserved names are the
 * server's own and the one erased users' events carry.
 */
final class Names {

  static final String COLLECTION = "names";
  static final Set<String> RESERVED = Set.of(Caller.SERVER, "system", "deleted-user", "server", "anonymous");

  private final StorageRequests storage;

  Names(StorageRequests storage) {
    this.storage = storage;
  }

  static String key(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  /** 400 for a reserved name, in any case. */
  static void checkNotReserved(String name) {
    if (RESERVED.contains(key(name))) {
      throw Failures.badRequest("'" + name + "' is reserved: choose another name");
    }
  }

  /**
   * Claims {@code name} for a user or device, then runs {@code create}; 409 when the name (in any case) is
   * taken. When {@code create} fails for certain (neither a 503 nor a conflict) the claim is released, so a failed
   * sign-up leaves nothing behind.
   */
  Future<Void> claim(String name, String kind, Supplier<Future<Void>> create) {
    JsonObject doc = new JsonObject().put("_id", key(name)).put("name", name).put("kind", kind);
    return storage.request(StorageBus.DOC_INSERT, StorageBus.docInsert(COLLECTION, doc))
      .recover(failure -> Future.failedFuture(Failures.code(failure) == Failures.CONFLICT
        ? Failures.of(Failures.CONFLICT, "the name '" + name + "' is taken") : failure))
      .compose(claimed -> create.get().transform(created -> {
        if (created.succeeded()) {
          return Future.succeededFuture();
        }
        // a 503 may hide a write that happened: the claim stays, and a retry finds out (AuthVerticle.sameSignUp,
        // Devices.again); so does a conflict: the user or device is there, written by an earlier try of this creation
        // whose answer was lost, and the name is its
        int code = Failures.code(created.cause());
        Future<Void> released = code == Failures.UNAVAILABLE || code == Failures.CONFLICT ? Future.succeededFuture() : release(name);
        return released.transform(r -> Future.failedFuture(created.cause()));
      }));
  }

  /**
   * Whether the name is claimed in exactly this spelling for this kind: with no user or device behind it, the
   * claim of a creation that answered 503 without writing, which the same creation may take up again.
   */
  Future<Boolean> claimedAs(String name, String kind) {
    return storage.request(StorageBus.DOC_FIND, StorageBus.docKey(COLLECTION, key(name)))
      .map(found -> kind.equals(found.getString("kind")) && name.equals(found.getString("name")))
      .recover(failure -> Failures.code(failure) == Failures.NOT_FOUND ? Future.succeededFuture(false) : Future.failedFuture(failure));
  }

  /** Frees a name whose user or device is gone (or was never created). */
  Future<Void> release(String name) {
    return storage.request(StorageBus.DOC_DELETE, StorageBus.docKey(COLLECTION, key(name))).mapEmpty();
  }
}
