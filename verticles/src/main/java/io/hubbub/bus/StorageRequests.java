package io.hubbub.bus;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** Where a verticle's requests to storage go: its {@link StorageClient}, or a fake in a unit test. */
@FunctionalInterface
public interface StorageRequests {

  /** Documents one {@link #putAll} writes per put. */
  int PUT_CHUNK = 100;

  /**
   * A request on a storage address ({@link StorageBus}), routed to the partition of its stream where it has one;
   * answers the reply's body as the bus carries it (what a {@link Contract} reads).
   */
  Future<Object> request(String address, JsonObject body);

  /**
   * {@link #request(String, JsonObject)} for a body built for this request alone, a JSON object or a typed request
   * ({@link HandOver.Typed}), which neither the caller nor anything sharing its objects reads or changes again: a
   * server on this node gets it as it is, not a copy ({@link HandOver}). Here, as its JSON.
   */
  default Future<Object> handOver(String address, Object body) {
    return request(address, Bus.json(body));
  }

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

  /**
   * Writes whole documents under their {@code _id}s, {@value #PUT_CHUNK} at a time, each put after the last one's
   * answer: a store writes one command at a time (the embedded one holds its write lock for a whole bulk write), and
   * the appends that come meanwhile go in between small puts instead of waiting behind one big one.
   */
  default Future<Void> putAll(String collection, List<JsonObject> docs) {
    return putFrom(collection, docs, 0);
  }

  private Future<Void> putFrom(String collection, List<JsonObject> docs, int from) {
    if (from >= docs.size()) {
      return Future.succeededFuture();
    }
    JsonArray chunk = new JsonArray(new ArrayList<>(docs.subList(from, Math.min(docs.size(), from + PUT_CHUNK))));
    return request(StorageBus.DOC_PUT, StorageBus.docPut(collection, chunk)).compose(v -> putFrom(collection, docs, from + PUT_CHUNK));
  }

  /**
   * {@link #request(Contract, Object)} for a request holding nothing its caller keeps
   * ({@link #handOver(String, Object)}).
   */
  default <Q, R> Future<R> handOver(Contract<Q, R> contract, Q request) {
    return handOver(contract.address(), contract.handedOver(request)).map(contract.readReply());
  }

  /** A typed request: an append, a read, a document operation. */
  default <Q, R> Future<R> request(Contract<Q, R> contract, Q request) {
    return request(contract.address(), contract.writeRequest().apply(request)).map(contract.readReply());
  }
}
