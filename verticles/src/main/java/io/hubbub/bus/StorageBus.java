package io.hubbub.bus;

import io.hubbub.conf.ConfSchema;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The storage verticle's conversations. Never bridged to browsers.
 *
 * <p>Streams hash to a fixed number of partitions ({@code storage.partitions}, the same on every node);
 * each partition is owned by one storage instance in the cluster at a time, which serves its appends,
 * reads and metadata on {@code <address>.<partition>} ({@link #route}). The document operations and
 * {@link #PING} are served by every storage instance.
 *
 * <ul>
 *   <li>{@link #APPEND} {@code {events: [{stream, type, data, by, id?, expectedSeq?}]}} →
 *       {@code {results: [{stream, seq, id, ts, duplicate?}]}}; all or nothing for the request's checks
 *       (409 when an {@code expectedSeq} does not hold), 503 when the store does not answer in time
 *       or the partition is changing owner; every event of one request in the address's partition.</li>
 *   <li>{@link #READ} {@code {stream, from, limit}} → {@code {stream, events, next, lastSeq}}</li>
 *   <li>{@link #META} {@code {stream}} → {@code {stream, lastSeq}}</li>
 *   <li>{@link #PING} {@code {}} → {@code {}} when the store answers, else 503</li>
 *   <li>{@link #DOC_INSERT} {@code {collection, doc}} → {@code {}}, 409 when {@code doc._id} is taken</li>
 *   <li>{@link #DOC_FIND} {@code {collection, id}} → {@code {doc}}, 404 when absent</li>
 *   <li>{@link #DOC_DELETE} {@code {collection, id}} → {@code {deleted}}</li>
 *   <li>{@link #DOC_ADD} / {@link #DOC_REMOVE} {@code {collection, id, field, value}} → {@code {doc}}: adds the
 *       string {@code value} to (or removes it from) the array {@code field}; 404 when absent</li>
 *   <li>{@link #DOC_LIST} {@code {collection, limit?}} → {@code {docs}}, by {@code _id}</li>
 *   <li>{@link #DOC_PUT} {@code {collection, docs}} → {@code {}}: writes each document whole under its {@code _id}, in one bulk write</li>
 *   <li>{@link #DOC_GET} {@code {collection, ids}} → {@code {docs}}: those of the ids that exist, by {@code _id}</li>
 * </ul>
 */
public final class StorageBus {

  public static final String APPEND = "storage.append";
  public static final String READ = "storage.read";
  public static final String META = "storage.meta";
  public static final String PING = "storage.ping";
  public static final String DOC_INSERT = "storage.docs.insert";
  public static final String DOC_FIND = "storage.docs.find";
  public static final String DOC_DELETE = "storage.docs.delete";
  public static final String DOC_ADD = "storage.docs.add";
  public static final String DOC_REMOVE = "storage.docs.remove";
  public static final String DOC_LIST = "storage.docs.list";
  public static final String DOC_PUT = "storage.docs.put";
  public static final String DOC_GET = "storage.docs.get";

  /** Cluster-wide map of the live storage instances: instance id → {@link #instance} (JSON text), with a short TTL. */
  public static final String INSTANCES_MAP = "hubbub.storage.instances";
  /** {@code storage.partitions} when the conf does not say (the conf schema's default). */
  public static final int DEFAULT_PARTITIONS = ((Number) ConfSchema.defaultOf("storage.partitions")).intValue();
  private static final Set<String> PARTITIONED = Set.of(APPEND, READ, META);

  public static final int MAX_READ_LIMIT = 1000;
  public static final int DEFAULT_READ_LIMIT = 100;

  private StorageBus() {
  }

  /** The partition of a stream: a stable hash (Java's specified {@code String.hashCode}), the same on every JVM. */
  public static int partition(String stream, int partitions) {
    return Math.floorMod(stream.hashCode(), partitions);
  }

  /** Sends a storage request where {@link #route} says it goes and waits for the answer (failures as {@link Bus#request}). */
  public static Future<JsonObject> request(EventBus bus, int partitions, String address, JsonObject body, long timeoutMs) {
    return Bus.request(bus, route(address, body, partitions), body, timeoutMs);
  }

  /** The address of {@link #APPEND}, {@link #READ} or {@link #META} for one partition: its owner serves it. */
  public static String address(String operation, int partition) {
    return operation + "." + partition;
  }

  /** The partition an address returned by {@link #route} belongs to, or -1 for an address served by every instance. */
  public static int partitionOf(String routed) {
    int dot = routed.lastIndexOf('.');
    if (dot < 0 || !PARTITIONED.contains(routed.substring(0, dot))) {
      return -1;
    }
    try {
      return Integer.parseInt(routed.substring(dot + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Where a request goes: {@link #APPEND} (by its first event's stream), {@link #READ} and {@link #META}
   * to the owner of the stream's partition (a request without a stream to the owner of partition 0, which
   * refuses it with 400); every other address as it is.
   */
  public static String route(String address, JsonObject body, int partitions) {
    if (!PARTITIONED.contains(address)) {
      return address;
    }
    Object stream = !APPEND.equals(address) ? body.getValue("stream")
      : body.getValue("events") instanceof JsonArray events && !events.isEmpty()
        && events.getValue(0) instanceof JsonObject first ? first.getValue("stream") : null;
    return address(address, stream instanceof String s ? partition(s, partitions) : 0);
  }

  /**
   * What a storage instance announces in {@link #INSTANCES_MAP}: its node's name, its node's cluster id
   * ({@code member}, null when not clustered: an entry whose member has left the cluster is dead), the
   * store's identity and the partitions it owns.
   */
  public static JsonObject instance(String node, String member, String store, Collection<Integer> owned) {
    return new JsonObject().put("node", node).put("member", member).put("store", store)
      .put("partitions", new JsonArray(owned.stream().sorted().map(p -> (Object) p).toList()));
  }

  /** An entry of {@link #INSTANCES_MAP} read back: what {@link #instance} wrote. */
  public record Instance(String node, String member, String store, List<Integer> partitions) {

    public static Instance parse(String entry) {
      JsonObject json = new JsonObject(entry);
      return new Instance(json.getString("node"), json.getString("member"), json.getString("store"),
        json.getJsonArray("partitions", new JsonArray()).stream().map(p -> (Integer) p).toList());
    }
  }

  /** One event to append, as storage expects it: already checked by {@link EventRules}, with its author. */
  public static JsonObject event(String stream, JsonObject checked, String by) {
    return checked.copy().put("stream", stream).put("by", by);
  }

  public static JsonObject appendRequest(JsonArray events) {
    return new JsonObject().put("events", events);
  }

  public static JsonObject readRequest(String stream, long from, int limit) {
    return new JsonObject().put("stream", stream).put("from", from).put("limit", limit);
  }

  public static JsonObject metaRequest(String stream) {
    return new JsonObject().put("stream", stream);
  }

  public static JsonObject docInsert(String collection, JsonObject doc) {
    return new JsonObject().put("collection", collection).put("doc", doc);
  }

  public static JsonObject docKey(String collection, String id) {
    return new JsonObject().put("collection", collection).put("id", id);
  }

  public static JsonObject docChange(String collection, String id, String field, String value) {
    return docKey(collection, id).put("field", field).put("value", value);
  }

  public static JsonObject docPut(String collection, JsonArray docs) {
    return new JsonObject().put("collection", collection).put("docs", docs);
  }

  public static JsonObject docGet(String collection, JsonArray ids) {
    return new JsonObject().put("collection", collection).put("ids", ids);
  }

  public static JsonObject docList(String collection, int limit) {
    return new JsonObject().put("collection", collection).put("limit", limit);
  }
}
