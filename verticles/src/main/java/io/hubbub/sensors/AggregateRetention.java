package io.hubbub.sensors;

import io.hubbub.bus.Failures;
import io.hubbub.bus.SensorsBus;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageRequests;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Drops aggregate buckets past their window's time ({@code sensors.retention}): raw readings go with the
 * {@code sensor} namespace's retention, 1-minute buckets after {@code minuteSeconds}, 1-hour ones after
 * {@code hourSeconds}, so a dashboard charts hours long after the readings are gone.
 *
 * <p>Each device has a document {@code <device>|retention} in the {@code sensors} collection,
 * {@code {pruned: {<kind>: {<window>: <start ms>}}}}: every bucket of that kind and window starting before it is
 * gone. The fold never writes such a bucket again ({@link Aggregates} skips readings older than their window
 * keeps), so a sweep deletes exactly the buckets from there to the new cut, by id (a lookup by key in either
 * store). The first sweep of a kind and window, which finds no mark, deletes what lies below the cut with one
 * query on the {@code _id} prefix (the embedded store scans the collection for it once).
 */
final class AggregateRetention {

  /** The most buckets one delete names. */
  static final int CHUNK = 1_000;

  private final StorageRequests storage;
  private final HubbubConf.SensorRetention retention;

  AggregateRetention(StorageRequests storage, HubbubConf.SensorRetention retention) {
    this.storage = storage;
    this.retention = retention;
  }

  static String key(String device) {
    return device + "|retention";
  }

  /** Applies retention to one device whose readings have these kinds; answers how many buckets it deleted. */
  Future<Long> sweep(String device, Set<String> kinds, long now) {
    return storage.request(StorageBus.DOC_FIND, StorageBus.docKey(DeviceFeed.COLLECTION, key(device)))
      .recover(failure -> Failures.code(failure) == Failures.NOT_FOUND ? Future.succeededFuture(new JsonObject())
        : Future.failedFuture(failure))
      .compose(doc -> {
        JsonObject pruned = doc.getJsonObject("pruned", new JsonObject()).copy();
        Set<String> all = new TreeSet<>(kinds);
        all.addAll(pruned.fieldNames());
        Future<Long> deleted = Future.succeededFuture(0L);
        for (String kind : all) {
          for (String window : Aggregates.WINDOWS) {
            deleted = deleted.compose(n -> prune(device, kind, window, pruned, now).map(m -> n + m));
          }
        }
        return deleted.compose(n -> n == 0 && pruned.equals(doc.getJsonObject("pruned", new JsonObject())) ? Future.succeededFuture(n)
          : storage.request(StorageBus.DOC_PUT, StorageBus.docPut(DeviceFeed.COLLECTION, new JsonArray()
            .add(new JsonObject().put("_id", key(device)).put("pruned", pruned)))).map(n));
      });
  }

  private Future<Long> prune(String device, String kind, String window, JsonObject pruned, long now) {
    long cut = Aggregates.start(now - Math.min(now, retention.keepMs(window)), window);
    JsonObject marks = pruned.getJsonObject(kind, new JsonObject());
    pruned.put(kind, marks);
    Long from = marks.getLong(window);
    if (from == null) {
      // nothing known of this kind and window yet: whatever lies below the cut, in one query
      String prefix = device + "|" + kind + "|" + window + "|";
      return storage.request(StorageBus.DOC_DELETE_WHERE, new StorageBus.DocWhere(Aggregates.COLLECTION, "_id", prefix, true,
          Aggregates.id(device, kind, window, cut)))
        .onSuccess(n -> marks.put(window, cut));
    }
    List<List<String>> chunks = ids(device, kind, window, from, cut);
    Future<Long> deleted = Future.succeededFuture(0L);
    for (List<String> chunk : chunks) {
      deleted = deleted.compose(n -> storage.request(StorageBus.DOC_DELETE_MANY, StorageBus.docGet(Aggregates.COLLECTION,
        new JsonArray(new ArrayList<>(chunk)))).map(m -> n + m));
    }
    return deleted.onSuccess(n -> marks.put(window, Math.max(from, cut)));
  }

  /** The ids of a window's buckets from {@code from} up to (not with) {@code cut}, in chunks of {@value #CHUNK}. */
  static List<List<String>> ids(String device, String kind, String window, long from, long cut) {
    long width = SensorsBus.WINDOWS.get(window);
    List<List<String>> chunks = new ArrayList<>();
    List<String> chunk = new ArrayList<>();
    for (long start = from; start < cut; start += width) {
      chunk.add(Aggregates.id(device, kind, window, start));
      if (chunk.size() == CHUNK) {
        chunks.add(chunk);
        chunk = new ArrayList<>();
      }
    }
    if (!chunk.isEmpty()) {
      chunks.add(chunk);
    }
    return chunks;
  }
}
