package io.hubbub.bus;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.hubbub.conf.ConfSchema;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The storage verticle's conversations. Never bridged to browsers.
 *
 * <p>Streams hash to a fixed number of partitions ({@code storage.partitions}, the same on every node);
 * each partition is owned by one storage instance in the cluster at a time, which serves its appends,
 * reads and metadata on {@code <address>.<partition>} ({@link #route}). The document operations and
 * {@link #PING} are served by every storage instance.
 *
 * <ul>
 *   <li>{@link #APPEND}: an {@link Append} ({@code {events: [{stream, type, data, by, id?, expectedSeq?}]}}) →
 *       an {@link Appended} ({@code {results: [{stream, seq, id, ts, duplicate?}]}}); all or nothing for the
 *       request's checks (409 when an {@code expectedSeq} does not hold), 503 when the store does not answer in
 *       time or the partition is changing owner; every event of one request in the address's partition.</li>
 *   <li>{@link #READ}: a {@link Read} ({@code {stream, from, limit}}) → a {@link Page} ({@code {stream, events,
 *       next, firstSeq, lastSeq}}); a read from below {@code firstSeq} starts there</li>
 *   <li>{@link #META}: a {@link StreamKey} ({@code {stream}}) → a {@link StreamInfo} ({@code {stream, firstSeq, lastSeq}})</li>
 *   <li>{@link #REDACT}: a {@link Redact} ({@code {stream, by}}) → how many events it redacted ({@code {redacted}}):
 *       each event {@code by} that author keeps its seq, id, type and time, its {@code data} becomes
 *       {@code {"redacted": true}} and its {@code by} {@link #DELETED_USER}</li>
 *   <li>{@link #TRUNCATE}: a {@link Truncate} ({@code {stream, before}}) → a {@link StreamInfo}: drops the events below
 *       {@code before} (nothing when they are gone already); 400 when {@code before} is beyond {@code lastSeq + 1}</li>
 *   <li>{@link #PING} {@code {}} → {@code {}} when the store answers, else 503</li>
 *   <li>{@link #DOC_INSERT}: a {@link DocInsert} → nothing ({@code {}}), 409 when {@code doc._id} is taken</li>
 *   <li>{@link #DOC_FIND}: a {@link DocKey} → the document ({@code {doc}}), 404 when absent</li>
 *   <li>{@link #DOC_DELETE}: a {@link DocKey} → how many were deleted ({@code {deleted}})</li>
 *   <li>{@link #DOC_ADD} / {@link #DOC_REMOVE}: a {@link DocChange} → whether it changed the document
 *       ({@code {changed}}): adds the string {@code value} to (or removes it from) the array {@code field}; 404 when
 *       absent. The answer is the same size however long the array is.</li>
 *   <li>{@link #DOC_LIST}: a {@link DocList} → the documents ({@code {docs}}), by {@code _id}</li>
 *   <li>{@link #DOC_PUT}: a {@link DocPut} → nothing ({@code {}}): writes each document whole under its {@code _id},
 *       in one bulk write</li>
 *   <li>{@link #DOC_SWAP}: a {@link DocSwap} → whether it wrote ({@code {swapped}}): {@code doc} whole under its
 *       {@code _id}, only while the stored document's string {@code field} is {@code expected} (a compare-and-set:
 *       nothing is written when the document changed meanwhile or is gone)</li>
 *   <li>{@link #DOC_GET}: a {@link DocGet} → the documents of the ids that exist ({@code {docs}}), by {@code _id}</li>
 *   <li>{@link #DOC_DELETE_MANY}: a {@link DocGet} → how many it deleted ({@code {deleted}}): the documents of these ids</li>
 *   <li>{@link #DOC_DELETE_WHERE}: a {@link DocWhere} → how many it deleted ({@code {deleted}}): the documents whose
 *       string {@code field} is {@code value}, or (field {@code _id}, {@code prefix}) whose {@code _id} starts with it</li>
 * </ul>
 *
 * <p>Requests and replies are records, read and checked by their contracts. What only the storage verticle's
 * conf says is checked there: an append's batch and data sizes ({@code storage.maxBatch},
 * {@code http.maxDataBytes}) and a document's collection ({@code storage.collections}).</p>
 */
public final class StorageBus {

  /**
   * Its acks are made for the one request (a thousand for a large batch): handed over as they are on the way back,
   * neither copied nor made JSON on the node; so is an append handed over on its way there.
   */
  public static final Contract<Append, Appended> APPEND =
    Contract.handedOver("storage.append", Append.class, Append::fromJson, Appended.class, Appended::fromJson);
  public static final Contract<Read, Page> READ = Contract.encoded("storage.read", Read::toJson, Read::fromJson, Page::json, Page::new);
  public static final Contract<StreamKey, StreamInfo> META =
    Contract.of("storage.meta", StreamKey::toJson, StreamKey::fromJson, StreamInfo::toJson, StreamInfo::fromJson);
  public static final Contract<Redact, Long> REDACT = Contract.of("storage.redact", Redact::toJson, Redact::fromJson,
    redacted -> new JsonObject().put("redacted", redacted), body -> body.getLong("redacted"));
  /** Who a redacted event is by. */
  public static final String DELETED_USER = "deleted-user";
  public static final Contract<Truncate, StreamInfo> TRUNCATE =
    Contract.of("storage.truncate", Truncate::toJson, Truncate::fromJson, StreamInfo::toJson, StreamInfo::fromJson);
  public static final String PING = "storage.ping";
  public static final Contract<DocInsert, Void> DOC_INSERT =
    Contract.of("storage.docs.insert", DocInsert::toJson, DocInsert::fromJson, StorageBus::done, StorageBus::done);
  public static final Contract<DocKey, JsonObject> DOC_FIND =
    Contract.of("storage.docs.find", DocKey::toJson, DocKey::fromJson, StorageBus::writeDoc, StorageBus::readDoc);
  public static final Contract<DocKey, Long> DOC_DELETE = Contract.of("storage.docs.delete", DocKey::toJson, DocKey::fromJson,
    deleted -> new JsonObject().put("deleted", deleted), body -> body.getLong("deleted"));
  public static final Contract<DocChange, JsonObject> DOC_ADD =
    Contract.jsonReply("storage.docs.add", DocChange::toJson, DocChange::fromJson);
  public static final Contract<DocChange, JsonObject> DOC_REMOVE =
    Contract.jsonReply("storage.docs.remove", DocChange::toJson, DocChange::fromJson);
  public static final Contract<DocList, List<JsonObject>> DOC_LIST =
    Contract.of("storage.docs.list", DocList::toJson, DocList::fromJson, StorageBus::writeDocs, StorageBus::readDocs);
  public static final Contract<DocPut, Void> DOC_PUT = Contract.of("storage.docs.put", DocPut::toJson, DocPut::fromJson, StorageBus::done, StorageBus::done);
  public static final Contract<DocWhere, Long> DOC_DELETE_WHERE = Contract.of("storage.docs.deleteWhere", DocWhere::toJson,
    DocWhere::fromJson, deleted -> new JsonObject().put("deleted", deleted), body -> body.getLong("deleted"));
  public static final Contract<DocGet, Long> DOC_DELETE_MANY = Contract.of("storage.docs.deleteMany", DocGet::toJson,
    DocGet::fromJson, deleted -> new JsonObject().put("deleted", deleted), body -> body.getLong("deleted"));
  public static final Contract<DocSwap, Boolean> DOC_SWAP = Contract.of("storage.docs.swap", DocSwap::toJson, DocSwap::fromJson,
    swapped -> new JsonObject().put("swapped", swapped), body -> body.getBoolean("swapped"));
  public static final Contract<DocGet, List<JsonObject>> DOC_GET =
    Contract.of("storage.docs.get", DocGet::toJson, DocGet::fromJson, StorageBus::writeDocs, StorageBus::readDocs);
  /** The most documents one list or get answers, and one put writes. */
  public static final int MAX_DOCS = 10_000;
  public static final int MAX_PUT = 1_000;
  /** What an array field that {@link #DOC_ADD} and {@link #DOC_REMOVE} change may be named. */
  private static final Pattern FIELD = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");
  private static final String FIELD_RULE = "a letter A-Z or a-z, then up to 63 letters, digits or '_'";

  /** Cluster-wide map of the live storage instances: instance id → {@link #instance} (JSON text), with a short TTL. */
  public static final String INSTANCES_MAP = "hubbub.storage.instances";
  /** {@code storage.partitions} when the conf does not say (the conf schema's default). */
  public static final int DEFAULT_PARTITIONS = ((Number) ConfSchema.defaultOf("storage.partitions")).intValue();
  private static final Set<String> PARTITIONED = Set.of(APPEND.address(), READ.address(), META.address(), TRUNCATE.address(),
    REDACT.address());
  /** The most events one append request may carry, whatever {@code limits.maxBatch} says (its schema's maximum). */
  public static final int MAX_APPEND = 10_000;

  public static final int MAX_READ_LIMIT = 1000;
  public static final int DEFAULT_READ_LIMIT = 100;

  private StorageBus() {
  }

  /** The partition of a stream: a stable hash (Java's specified {@code String.hashCode}), the same on every JVM. */
  public static int partition(String stream, int partitions) {
    return Math.floorMod(stream.hashCode(), partitions);
  }

  /** Sends a storage request where {@link #route} says it goes and waits for its JSON answer (failures as {@link Bus#request}). */
  public static Future<JsonObject> request(EventBus bus, int partitions, String address, JsonObject body, long timeoutMs) {
    return Bus.request(bus, route(address, body, partitions), body, timeoutMs);
  }

  /** {@link #request(EventBus, int, String, JsonObject, long)} through a contract. */
  public static <Q, R> Future<R> request(EventBus bus, int partitions, Contract<Q, R> contract, Q request, long timeoutMs) {
    JsonObject body = contract.writeRequest().apply(request);
    return Bus.requestBody(bus, route(contract.address(), body, partitions), body, timeoutMs).map(contract.readReply());
  }

  /** {@link #APPEND}, {@link #READ} or {@link #META} for one partition: its owner serves it (as {@link #route} says). */
  public static <Q, R> Contract<Q, R> of(Contract<Q, R> operation, int partition) {
    return operation.at(operation.address() + "." + partition);
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
   * refuses it with 400); every other address as it is. The body is JSON, or an {@link Append} handed over.
   */
  public static String route(String address, Object body, int partitions) {
    if (!PARTITIONED.contains(address)) {
      return address;
    }
    Object stream;
    if (body instanceof Append append) { // handed over as it is
      stream = append.events().isEmpty() ? null : append.events().get(0).getValue("stream");
    } else {
      JsonObject json = (JsonObject) body;
      stream = !APPEND.address().equals(address) ? json.getValue("stream")
        : json.getValue("events") instanceof JsonArray events && !events.isEmpty()
          && events.getValue(0) instanceof JsonObject first ? first.getValue("stream") : null;
    }
    return address + "." + (stream instanceof String s ? partition(s, partitions) : 0);
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

  /**
   * One event to append, as storage expects it: already checked by {@link EventRules}, with its author. Its own
   * fields are copied, its values shared (its {@code data} is not changed after; the bus copies what it carries): a
   * deep copy of every event's data, made in the gateway and again in storage, was ~4% of a batch append's CPU.
   */
  public static JsonObject event(String stream, JsonObject checked, String by) {
    return new JsonObject(new LinkedHashMap<>(checked.getMap())).put("stream", stream).put("by", by);
  }

  public static DocInsert docInsert(String collection, JsonObject doc) {
    return new DocInsert(collection, doc);
  }

  public static DocKey docKey(String collection, String id) {
    return new DocKey(collection, id);
  }

  public static DocChange docChange(String collection, String id, String field, String value) {
    return new DocChange(collection, id, field, value);
  }

  public static DocPut docPut(String collection, JsonArray docs) {
    return new DocPut(collection, docs);
  }

  public static DocSwap docSwap(String collection, JsonObject doc, String field, String expected) {
    return new DocSwap(collection, doc, field, expected);
  }

  public static DocGet docGet(String collection, JsonArray ids) {
    return new DocGet(collection, ids);
  }

  public static DocList docList(String collection, int limit) {
    return new DocList(collection, limit);
  }

  private static JsonObject done(Void nothing) {
    return new JsonObject();
  }

  private static Void done(JsonObject nothing) {
    return null;
  }

  private static JsonObject writeDoc(JsonObject doc) {
    return new JsonObject().put("doc", doc);
  }

  private static JsonObject readDoc(JsonObject reply) {
    return reply.getJsonObject("doc");
  }

  private static JsonObject writeDocs(List<JsonObject> docs) {
    return new JsonObject().put("docs", new JsonArray(new ArrayList<>(docs)));
  }

  private static List<JsonObject> readDocs(JsonObject reply) {
    return reply.getJsonArray("docs").stream().map(JsonObject.class::cast).toList();
  }

  private static String readCollection(JsonObject body) {
    if (!(body.getValue("collection") instanceof String collection)) {
      throw Failures.badRequest("'collection' must name a collection");
    }
    return collection;
  }

  private static String readId(JsonObject body, String field) {
    if (!(body.getValue(field) instanceof String id) || id.isEmpty() || id.length() > 256) {
      throw Failures.badRequest("'" + field + "' must be a string of 1 to 256 characters");
    }
    return id;
  }

  /** A new document: an object with a string {@code _id}, whose field names are no operators. */
  public record DocInsert(String collection, JsonObject doc) {
    public JsonObject toJson() {
      return new JsonObject().put("collection", collection).put("doc", doc);
    }

    public static DocInsert fromJson(JsonObject body) {
      String collection = readCollection(body);
      if (!(body.getValue("doc") instanceof JsonObject doc) || !(doc.getValue("_id") instanceof String)) {
        throw Failures.badRequest("'doc' must be an object with a string '_id'");
      }
      EventRules.checkDocument(doc, "doc");
      return new DocInsert(collection, doc);
    }
  }

  /** One document, by {@code _id}. */
  public record DocKey(String collection, String id) {
    public JsonObject toJson() {
      return new JsonObject().put("collection", collection).put("id", id);
    }

    public static DocKey fromJson(JsonObject body) {
      return new DocKey(readCollection(body), readId(body, "id"));
    }
  }

  /** A string to add to, or remove from, an array field of one document. */
  public record DocChange(String collection, String id, String field, String value) {
    public JsonObject toJson() {
      return new JsonObject().put("collection", collection).put("id", id).put("field", field).put("value", value);
    }

    public DocKey key() {
      return new DocKey(collection, id);
    }

    public static DocChange fromJson(JsonObject body) {
      String collection = readCollection(body);
      String id = readId(body, "id");
      if (!(body.getValue("field") instanceof String field) || !FIELD.matcher(field).matches() || field.equals("_id")) {
        throw Failures.badRequest("'field' must be a field name: " + FIELD_RULE);
      }
      if (!(body.getValue("value") instanceof String value) || value.length() > 256) {
        throw Failures.badRequest("'value' must be a string of at most 256 characters");
      }
      return new DocChange(collection, id, field, value);
    }
  }

  /** Whole documents to write under their {@code _id}s. */
  public record DocPut(String collection, JsonArray docs) {
    public JsonObject toJson() {
      return new JsonObject().put("collection", collection).put("docs", docs);
    }

    public static DocPut fromJson(JsonObject body) {
      String collection = readCollection(body);
      if (!(body.getValue("docs") instanceof JsonArray docs) || docs.isEmpty() || docs.size() > MAX_PUT) {
        throw Failures.badRequest("'docs' must be an array of 1 to " + MAX_PUT + " documents");
      }
      for (int i = 0; i < docs.size(); i++) {
        if (!(docs.getValue(i) instanceof JsonObject doc) || !(doc.getValue("_id") instanceof String id)
          || id.isEmpty() || id.length() > 256) {
          throw Failures.badRequest("docs[" + i + "] must be an object with a string '_id' of 1 to 256 characters");
        }
        EventRules.checkDocument(doc, "docs[" + i + "]");
      }
      return new DocPut(collection, docs);
    }
  }

  /** A document to write whole while the stored one's {@code field} still holds {@code expected}. */
  public record DocSwap(String collection, JsonObject doc, String field, String expected) {
    public JsonObject toJson() {
      return new JsonObject().put("collection", collection).put("doc", doc).put("field", field).put("expected", expected);
    }

    public static DocSwap fromJson(JsonObject body) {
      DocInsert replacement = DocInsert.fromJson(body);
      if (!(body.getValue("field") instanceof String field) || !FIELD.matcher(field).matches()) {
        throw Failures.badRequest("'field' must be a field name: " + FIELD_RULE);
      }
      if (!(body.getValue("expected") instanceof String expected) || expected.length() > 1024) {
        throw Failures.badRequest("'expected' must be a string of at most 1024 characters");
      }
      return new DocSwap(replacement.collection(), replacement.doc(), field, expected);
    }
  }

  /** The documents with these {@code _id}s. */
  public record DocGet(String collection, JsonArray ids) {
    public JsonObject toJson() {
      return new JsonObject().put("collection", collection).put("ids", ids);
    }

    public static DocGet fromJson(JsonObject body) {
      String collection = readCollection(body);
      if (!(body.getValue("ids") instanceof JsonArray ids) || ids.size() > MAX_DOCS
        || !ids.stream().allMatch(id -> id instanceof String s && !s.isEmpty() && s.length() <= 256)) {
        throw Failures.badRequest("'ids' must be an array of at most " + MAX_DOCS + " strings of 1 to 256 characters");
      }
      return new DocGet(collection, ids);
    }
  }

  /**
   * The documents whose {@code field} is {@code value}; with {@code prefix}, those whose {@code _id} starts with
   * {@code value}, and (with {@code before} not null) sorts before {@code before}.
   */
  public record DocWhere(String collection, String field, String value, boolean prefix, String before) {

    public DocWhere(String collection, String field, String value, boolean prefix) {
      this(collection, field, value, prefix, null);
    }

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("collection", collection).put("field", field).put("value", value).put("prefix", prefix);
      return before == null ? json : json.put("before", before);
    }

    public static DocWhere fromJson(JsonObject body) {
      String collection = readCollection(body);
      boolean prefix = Boolean.TRUE.equals(body.getValue("prefix"));
      if (!(body.getValue("field") instanceof String field) || !(field.equals("_id") || FIELD.matcher(field).matches())
        || (prefix && !field.equals("_id"))) {
        throw Failures.badRequest("'field' must be '_id' (for a prefix) or a field name: " + FIELD_RULE);
      }
      String value = readId(body, "value");
      String before = body.getValue("before") == null ? null : readId(body, "before");
      if (before != null && (!prefix || !before.startsWith(value))) {
        throw Failures.badRequest("'before' goes with a prefix, and begins with it");
      }
      return new DocWhere(collection, field, value, prefix, before);
    }
  }

  /** The first {@code limit} documents of a collection, by {@code _id}. */
  public record DocList(String collection, int limit) {
    public JsonObject toJson() {
      return new JsonObject().put("collection", collection).put("limit", limit);
    }

    public static DocList fromJson(JsonObject body) {
      return new DocList(readCollection(body), (int) EventRules.optionalLong(body, "limit", 1_000, 1, MAX_DOCS));
    }
  }

  /**
   * Events to append ({@link #event}), each naming its stream and its author. Reading checks those two and the
   * shape; storage checks each event's own fields, against its conf's sizes, when it serves the request, unless the
   * events were checked on its own node by a {@link Checking} ({@link #checkedWithin}).
   *
   * <p>Handed over ({@link StorageRequests#handOver(Contract, Object)}), an append reaches storage on the same node as
   * this very object; on the wire, and to storage on another node, it is its JSON, read back unchecked.
   *
   * @param checked null unless its events were checked as {@link EventRules#checkEvent} checks them, under its data
   *                limit: only a {@link Checking} makes one
   */
  public record Append(List<JsonObject> events, Checked checked) implements HandOver.Typed {

    public Append {
      events = List.copyOf(events);
    }

    public Append(List<JsonObject> events) {
      this(events, null);
    }

    /**
     * Whether every event was checked as {@link EventRules#checkEvent} checks it, with a data limit of at most
     * {@code maxDataBytes}, and then given its stream and author: what storage need not check again.
     */
    @SuppressWarnings("ReferenceEquality") // the very list the mark was made for: a mark moved to other events is none
    public boolean checkedWithin(int maxDataBytes) {
      return checked != null && checked.events == events && checked.maxDataBytes <= maxDataBytes;
    }

    public static Append of(JsonObject... events) {
      return new Append(List.of(events));
    }

    public static Append of(JsonArray events) {
      return new Append(events.stream().map(JsonObject.class::cast).toList());
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("events", new JsonArray(new ArrayList<>(events)));
    }

    /** What an append read from JSON holds, from anywhere: never marked checked. */
    public static Append fromJson(JsonObject body) {
      if (!(body.getValue("events") instanceof JsonArray list) || list.isEmpty() || list.size() > MAX_APPEND) {
        throw Failures.badRequest("'events' must be an array of 1 to " + MAX_APPEND + " events");
      }
      List<JsonObject> events = new ArrayList<>(list.size());
      String valid = null; // the stream name last found valid: a batch's events are mostly one stream's, checked once
      for (int i = 0; i < list.size(); i++) {
        if (!(list.getValue(i) instanceof JsonObject event)) {
          throw Failures.badRequest("events[" + i + "] must be an object");
        }
        if (!(event.getValue("stream") instanceof String stream) || !(stream.equals(valid) || Streams.isValidName(stream))) {
          throw Failures.badRequest("events[" + i + "]: 'stream' is not a valid stream name");
        }
        valid = stream;
        if (!(event.getValue("by") instanceof String by) || by.isEmpty()) {
          throw Failures.badRequest("events[" + i + "]: 'by' must name the publisher");
        }
        events.add(event);
      }
      return new Append(events);
    }
  }

  /**
   * The mark of an {@link Append} whose events a {@link Checking} checked: made nowhere else, and for that append's
   * very list of events (an append made of other events with it is not marked).
   */
  public static final class Checked {

    private final List<JsonObject> events;
    private final int maxDataBytes;

    private Checked(List<JsonObject> events, int maxDataBytes) {
      this.events = events;
      this.maxDataBytes = maxDataBytes;
    }
  }

  /**
   * An append of a client's events to one stream, built one event at a time: each checked as
   * {@link EventRules#checkEvent} checks it (its clean copy kept), then given its stream and author. Storage on the
   * same node skips checking such events again ({@link Append#checkedWithin}): 3.6% of the server's CPU in a profile
   * of appends of 1,000 (bench/README.md, "Checked once; server-made ids not indexed").
   */
  public static final class Checking {

    private final String stream;
    private final String by;
    private final int maxDataBytes;
    private final List<JsonObject> events;

    /** For events to {@code stream} by {@code by}, whose data may take {@code maxDataBytes}; 400 for a bad name. */
    public Checking(String stream, String by, int maxDataBytes, int expected) {
      if (!Streams.isValidName(stream)) {
        throw Failures.badRequest(Streams.notAName(stream));
      }
      if (by == null || by.isEmpty()) {
        throw Failures.badRequest("'by' must name the publisher");
      }
      this.stream = stream;
      this.by = by;
      this.maxDataBytes = maxDataBytes;
      this.events = new ArrayList<>(expected);
    }

    /**
     * Checks one event ({@link EventRules#checkEvent}, {@code where} naming it in a refusal) and adds its clean copy;
     * answers that copy, to be read, not changed.
     */
    public JsonObject add(Object event, Set<String> extraFields, String where) {
      JsonObject clean = EventRules.checkEvent(event, maxDataBytes, extraFields, where);
      events.add(clean.put("stream", stream).put("by", by));
      return clean;
    }

    /** The append of the events added, marked checked. */
    public Append append() {
      List<JsonObject> checked = List.copyOf(events); // the append keeps this very list (List.copyOf of one is itself)
      return new Append(checked, new Checked(checked, maxDataBytes));
    }
  }

  /**
   * What an append stored of one event, {@code {stream, seq, id, ts, duplicate?}}: its stream, seq, id and time, and
   * whether an event of its id came before (then these are that event's).
   */
  public record Ack(String stream, long seq, String id, String ts, boolean duplicate) {

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("stream", stream).put("seq", seq).put("id", id).put("ts", ts);
      return duplicate ? json.put("duplicate", true) : json;
    }

    /** Writes {@link #toJson}'s JSON, field for field. */
    void write(JsonGenerator out) throws IOException {
      out.writeStartObject();
      out.writeStringField("stream", stream);
      out.writeNumberField("seq", seq);
      out.writeStringField("id", id);
      out.writeStringField("ts", ts);
      if (duplicate) {
        out.writeBooleanField("duplicate", true);
      }
      out.writeEndObject();
    }

    public static Ack fromJson(JsonObject body) {
      if (!(body.getValue("seq") instanceof Number seq)) {
        throw Failures.of(Failures.INTERNAL, "storage answered an append's result without its seq");
      }
      return new Ack(body.getString("stream"), seq.longValue(), body.getString("id"), body.getString("ts"),
        body.getBoolean("duplicate", false));
    }
  }

  /**
   * What an append stored, one result per event, in the request's order. On storage's node it reaches the caller as
   * it is ({@link #APPEND}); the HTTP API writes a batch's straight as JSON ({@link #toJsonBuffer}).
   */
  public record Appended(List<Ack> results) implements HandOver.Typed {

    private static final JsonFactory JSON = new JsonFactory();

    public Appended {
      results = List.copyOf(results);
    }

    /** The result of a request's only (or first) event. */
    public Ack first() {
      return results.get(0);
    }

    public JsonArray toJsonArray() {
      List<Object> json = new ArrayList<>(results.size());
      for (Ack ack : results) {
        json.add(ack.toJson());
      }
      return new JsonArray(json);
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("results", toJsonArray());
    }

    /**
     * {@link #toJsonArray}'s JSON, bytes for bytes as Vert.x encodes it, written straight from the results: a batch's
     * thousand acks made into JSON objects first, then encoded through Vert.x's codec, were ~6% of the server's CPU
     * in appends of 1,000 events.
     */
    public Buffer toJsonBuffer() {
      ByteArrayBuilder bytes = new ByteArrayBuilder(results.size() * 96);
      try (JsonGenerator out = JSON.createGenerator(bytes)) {
        out.writeStartArray();
        for (Ack ack : results) {
          ack.write(out);
        }
        out.writeEndArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e); // a byte array does not fail
      }
      return Buffer.buffer(bytes.toByteArray());
    }

    public static Appended fromJson(JsonObject body) {
      if (!(body.getValue("results") instanceof JsonArray results)) {
        throw Failures.of(Failures.INTERNAL, "storage answered an append without its results");
      }
      List<Ack> acks = new ArrayList<>(results.size());
      for (int i = 0; i < results.size(); i++) {
        acks.add(Ack.fromJson(results.getJsonObject(i)));
      }
      return new Appended(acks);
    }
  }

  /** Up to {@code limit} events of a stream from seq {@code from} (below 1 reads from the first). */
  public record Read(String stream, long from, int limit) {
    public JsonObject toJson() {
      return new JsonObject().put("stream", stream).put("from", from).put("limit", limit);
    }

    public static Read fromJson(JsonObject body) {
      return new Read(StreamKey.fromJson(body).stream(), Math.max(1, EventRules.optionalLong(body, "from", 1, 0, Long.MAX_VALUE)),
        (int) EventRules.optionalLong(body, "limit", DEFAULT_READ_LIMIT, 1, MAX_READ_LIMIT));
    }
  }

  /**
   * A page of a stream, {@code {stream, events, next, firstSeq, lastSeq}}: its events in seq order, the seq to read
   * {@code next}, and the oldest seq the stream still holds and its last durable seq when the page was read. Storage
   * encodes it once; the HTTP API and the bridge answer these bytes as they are.
   */
  public record Page(Buffer json) {
    /** The page decoded, for a verticle that reads its events. */
    public JsonObject toJson() {
      return new JsonObject(json);
    }

    public JsonArray events() {
      return toJson().getJsonArray("events");
    }
  }

  /** One stream, by name. */
  public record StreamKey(String stream) {
    public JsonObject toJson() {
      return new JsonObject().put("stream", stream);
    }

    public static StreamKey fromJson(JsonObject body) {
      if (!(body.getValue("stream") instanceof String stream) || !Streams.isValidName(stream)) {
        throw Failures.badRequest("'stream' is not a valid stream name");
      }
      return new StreamKey(stream);
    }
  }

  /**
   * What is known of a stream: the oldest seq it still holds ({@code lastSeq + 1} when it holds none: never
   * written, or all of it dropped) and its last durable seq (0 when nothing was ever stored).
   */
  public record StreamInfo(String stream, long firstSeq, long lastSeq) {
    public JsonObject toJson() {
      return new JsonObject().put("stream", stream).put("firstSeq", firstSeq).put("lastSeq", lastSeq);
    }

    public static StreamInfo fromJson(JsonObject body) {
      return new StreamInfo(body.getString("stream"), body.getLong("firstSeq"), body.getLong("lastSeq"));
    }
  }

  /** Redact the events of a stream by one author. */
  public record Redact(String stream, String by) {
    public JsonObject toJson() {
      return new JsonObject().put("stream", stream).put("by", by);
    }

    public static Redact fromJson(JsonObject body) {
      if (!(body.getValue("by") instanceof String by) || by.isEmpty() || by.length() > 256) {
        throw Failures.badRequest("'by' must name the author whose events are redacted");
      }
      return new Redact(StreamKey.fromJson(body).stream(), by);
    }
  }

  /** Drop a stream's events below {@code before} (at least 1). */
  public record Truncate(String stream, long before) {
    public JsonObject toJson() {
      return new JsonObject().put("stream", stream).put("before", before);
    }

    public static Truncate fromJson(JsonObject body) {
      if (!(body.getValue("before") instanceof Number before) || !(before instanceof Integer || before instanceof Long)
        || before.longValue() < 1) {
        throw Failures.badRequest("'before' must be a seq (an integer of at least 1)");
      }
      return new Truncate(StreamKey.fromJson(body).stream(), before.longValue());
    }
  }
}
