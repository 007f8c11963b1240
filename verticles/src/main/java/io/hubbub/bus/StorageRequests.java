package io.hubbub.bus;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** Where a verticle's requests to storage go: its {@link StorageClient}, or a fake in a unit test. */
@FunctionalInterface
public interface StorageRequests {

  /** A request on a storage address ({@link StorageBus}), routed to the partition of its stream where it has one. */
  Future<JsonObject> request(String address, JsonObject body);

  /**
   * Drops every event a stream holds now (its last seq, read first, is where it is cut); answers how many there were.
   * A room or a device being deleted: what is appended after the read is not dropped.
   */
  default Future<Long> truncateAll(String stream) {
    return request(StorageBus.META, new StorageBus.StreamKey(stream)).compose(info -> {
      long held = info.lastSeq() - info.firstSeq() + 1;
      return held <= 0 ? Future.succeededFuture(0L)
        : request(StorageBus.TRUNCATE, new StorageBus.Truncate(stream, info.lastSeq() + 1)).map(held);
    });
  }

  /** Writes whole documents under their {@code _id}s, in puts of at most {@link StorageBus#MAX_PUT}, sent together. */
  default Future<Void> putAll(String collection, List<JsonObject> docs) {
    List<Future<Void>> puts = new ArrayList<>();
    for (int from = 0; from < docs.size(); from += StorageBus.MAX_PUT) {
      JsonArray chunk = new JsonArray(new ArrayList<>(docs.subList(from, Math.min(docs.size(), from + StorageBus.MAX_PUT))));
      puts.add(request(StorageBus.DOC_PUT, StorageBus.docPut(collection, chunk)));
    }
    return Future.all(puts).mapEmpty();
  }

  /** A typed request: an append, a read, a document operation. */
  default <Q, R> Future<R> request(Contract<Q, R> contract, Q request) {
    return request(contract.address(), contract.writeRequest().apply(request)).map(contract.readReply());
  }
}
