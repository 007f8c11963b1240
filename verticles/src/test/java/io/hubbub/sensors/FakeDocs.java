package io.hubbub.sensors;

import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageRequests;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Storage's document calls ({@code storage.docs.find/put/get}), and reads and appends of streams, in process, for unit tests: documents are
 * copied in and out as the bus would. With a failure rate, calls fail at random with 503, a put either
 * before it writes or after (the answer lost, as on a timeout), and all from one seed, so a failing run
 * can be run again.
 */
final class FakeDocs implements StorageRequests {

  final Map<String, Map<String, JsonObject>> collections = new HashMap<>();
  /** Streams' events in seq order (seq n at n - 1): read with {@code storage.read}, appended to with {@code storage.append}. */
  final Map<String, List<JsonObject>> streams = new HashMap<>();
  private final Random random;
  private double failureRate;
  private volatile String refused;
  int failures;

  FakeDocs(long seed) {
    this.random = new Random(seed);
  }

  FakeDocs failing(double rate) {
    this.failureRate = rate;
    return this;
  }

  /** Puts into this collection fail with 503, writing nothing (null: none fail). */
  FakeDocs refusingPuts(String collection) {
    this.refused = collection;
    return this;
  }

  @Override
  public Future<Object> request(String address, JsonObject body) {
    Map<String, JsonObject> docs = collections.computeIfAbsent(body.getString("collection"), c -> new HashMap<>());
    if (address.equals(StorageBus.DOC_PUT.address()) && body.getString("collection").equals(refused)) {
      failures++;
      return Future.failedFuture(Failures.unavailable("fake storage refusing puts into " + refused));
    }
    boolean fail = random.nextDouble() < failureRate;
    boolean afterWriting = random.nextBoolean();
    if (fail && !(address.equals(StorageBus.DOC_PUT.address()) && afterWriting)) {
      failures++;
      return Future.failedFuture(Failures.unavailable("fake storage failure"));
    }
    if (address.equals(StorageBus.DOC_FIND.address())) {
      JsonObject doc = docs.get(body.getString("id"));
      return doc == null ? Future.failedFuture(Failures.of(Failures.NOT_FOUND, "no such doc"))
        : Future.succeededFuture(new JsonObject().put("doc", doc.copy()));
    }
    if (address.equals(StorageBus.DOC_PUT.address())) {
      body.getJsonArray("docs").forEach(d -> docs.put(((JsonObject) d).getString("_id"), ((JsonObject) d).copy()));
      if (fail) {
        failures++;
        return Future.failedFuture(Failures.unavailable("fake storage failure after the write"));
      }
      return Future.succeededFuture(new JsonObject());
    }
    if (address.equals(StorageBus.DOC_GET.address())) {
      JsonArray found = new JsonArray();
      body.getJsonArray("ids").stream().map(String.class::cast).sorted().map(docs::get)
        .filter(d -> d != null).forEach(d -> found.add(d.copy()));
      return Future.succeededFuture(new JsonObject().put("docs", found));
    }
    if (address.equals(StorageBus.DOC_DELETE_MANY.address())) {
      long deleted = body.getJsonArray("ids").stream().filter(id -> docs.remove((String) id) != null).count();
      return Future.succeededFuture(new JsonObject().put("deleted", deleted));
    }
    if (address.equals(StorageBus.DOC_DELETE_WHERE.address()) && body.getBoolean("prefix", false)) {
      String prefix = body.getString("value");
      String before = body.getString("before");
      List<String> gone = docs.keySet().stream().filter(id -> id.startsWith(prefix) && (before == null || id.compareTo(before) < 0)).toList();
      gone.forEach(docs::remove);
      return Future.succeededFuture(new JsonObject().put("deleted", (long) gone.size()));
    }
    if (address.equals(StorageBus.READ.address())) {
      List<JsonObject> events = streams.getOrDefault(body.getString("stream"), List.of());
      int from = (int) Math.max(1, body.getLong("from")) - 1;
      JsonArray page = new JsonArray();
      events.subList(Math.min(from, events.size()), Math.min(events.size(), from + body.getInteger("limit")))
        .forEach(e -> page.add(e.copy()));
      // as storage answers a read: the page encoded once
      return Future.succeededFuture(new JsonObject().put("stream", body.getString("stream")).put("events", page)
        .put("next", from + 1L + page.size()).put("firstSeq", 1).put("lastSeq", events.size()).toBuffer());
    }
    if (address.equals(StorageBus.APPEND.address())) { // ids taken once per stream, as storage's idempotency keys
      JsonArray results = new JsonArray();
      for (Object o : body.getJsonArray("events")) {
        JsonObject event = ((JsonObject) o).copy();
        List<JsonObject> stream = streams.computeIfAbsent(event.getString("stream"), k -> new ArrayList<>());
        JsonObject same = stream.stream().filter(e -> e.getString("id").equals(event.getString("id"))).findFirst().orElse(null);
        if (same == null) {
          stream.add(event.put("seq", stream.size() + 1L));
        }
        results.add(new JsonObject().put("stream", event.getString("stream")).put("id", event.getString("id"))
          .put("seq", same != null ? same.getLong("seq") : event.getLong("seq")));
      }
      return Future.succeededFuture(new JsonObject().put("results", results));
    }
    throw new IllegalArgumentException("not faked: " + address);
  }
}
