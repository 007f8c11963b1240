package io.hubbub.bus;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** Where a verticle's requests to storage go: its {@link StorageClient}, or a fake in a unit test. */
@FunctionalInterface
public interface StorageRequests {

  /** A request on a storage address ({@link StorageBus}), routed to the partition of its stream where it has one. */
  Future<JsonObject> request(String address, JsonObject body);

  /** A typed request: an append, a read, a document operation. */
  default <Q, R> Future<R> request(Contract<Q, R> contract, Q request) {
    return request(contract.address(), contract.writeRequest().apply(request)).map(contract.readReply());
  }
}
