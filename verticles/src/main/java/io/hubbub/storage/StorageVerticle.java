package io.hubbub.storage;

import io.hubbub.bus.Bus;
import io.hubbub.bus.EventRules;
import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.Streams;
import io.hubbub.store.EmbeddedStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import io.vertx.micrometer.backends.BackendRegistries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The only code that touches MongoDB: appends events with seqs (group-committed), reads ranges and
 * keeps the few documents other verticles need. Publishes each event on its live address once it
 * is durable. Starts the embedded store when no MongoDB URI is configured.
 */
public final class StorageVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(StorageVerticle.class);
  private static final Set<String> APPEND_FIELDS = Set.of("stream", "by");
  private static final long INDEX_RETRY_MS = 2_000;

  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private EmbeddedStore embedded;
  private MongoClient mongo;
  private EventStore events;
  private DocStore docs;
  private SeqCache seqs;
  private GroupCommit commits;
  private Counter appended;
  private int maxDataBytes;
  private int maxBatch;
  private boolean indexed;

  @Override
  public Future<?> start() {
    JsonObject conf = config();
    JsonObject mongoConf = conf.getJsonObject("mongo", new JsonObject());
    JsonObject storageConf = conf.getJsonObject("storage", new JsonObject());
    JsonObject limits = conf.getJsonObject("limits", new JsonObject());
    long timeoutMs = mongoConf.getLong("timeoutMs", 5_000L);
    maxDataBytes = limits.getInteger("maxDataBytes", EventRules.DEFAULT_MAX_DATA_BYTES);
    maxBatch = limits.getInteger("maxBatch", 1_000);
    seqs = new SeqCache(storageConf.getInteger("seqCacheStreams", 100_000));
    MeterRegistry registry = registry();
    appended = Counter.builder("hubbub.appends").description("Events durably appended").register(registry);

    return storeUri(mongoConf).compose(uri -> {
      mongo = MongoClient.create(vertx, new JsonObject()
        .put("connection_string", uri)
        .put("db_name", mongoConf.getString("database", "hubbub"))
        .put("serverSelectionTimeoutMS", timeoutMs)
        .put("connectTimeoutMS", timeoutMs)
        .put("maxPoolSize", storageConf.getInteger("poolSize", 16)));
      StoreCalls calls = new StoreCalls(timeoutMs);
      events = new EventStore(mongo, calls);
      docs = new DocStore(mongo, calls, storageConf.getJsonArray("collections", new JsonArray().add("users").add("sessions").add("rooms").add("devices").add("aggregates").add("sensors")));
      commits = new GroupCommit(events, seqs, storageConf.getInteger("maxBatchEvents", 2_000), this::published, registry);
      consume(StorageBus.APPEND, this::append);
      consume(StorageBus.READ, this::read);
      consume(StorageBus.META, this::meta);
      consume(StorageBus.PING, body -> ping());
      consume(StorageBus.DOC_INSERT, docs::insert);
      consume(StorageBus.DOC_FIND, docs::find);
      consume(StorageBus.DOC_DELETE, docs::delete);
      consume(StorageBus.DOC_ADD, docs::add);
      consume(StorageBus.DOC_REMOVE, docs::remove);
      consume(StorageBus.DOC_LIST, docs::list);
      consume(StorageBus.DOC_PUT, docs::put);
      consume(StorageBus.DOC_GET, docs::get);
      return Future.join(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(v -> ensureIndexes());
    });
  }

  @Override
  public Future<?> stop() {
    Future<?> unregistered = Future.join(consumers.stream().map(MessageConsumer::unregister).toList());
    Future<Void> drained = commits == null ? Future.succeededFuture()
      : commits.whenIdle().timeout(10, TimeUnit.SECONDS).otherwiseEmpty();
    return Future.join(unregistered, drained)
      .eventually(() -> mongo == null ? Future.succeededFuture() : mongo.close())
      .eventually(() -> embedded == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
        embedded.close();
        return null;
      }));
  }

  private Future<String> storeUri(JsonObject mongoConf) {
    String uri = mongoConf.getString("uri", "");
    if (!uri.isBlank()) {
      log.info("using MongoDB [uri: {}]", redact(uri));
      return Future.succeededFuture(uri);
    }
    Path dataDir = Path.of(mongoConf.getString("dataDir", "data"));
    return vertx.executeBlocking(() -> EmbeddedStore.start(dataDir)).map(store -> {
      embedded = store;
      return store.uri();
    });
  }

  /** Creates the indexes; while the store is unreachable, retries in the background and refuses appends. */
  private Future<Void> ensureIndexes() {
    return events.ensureIndexes()
      .onSuccess(v -> indexed = true)
      .recover(failure -> {
        log.warn("indexes not created yet, retrying [in: {} ms]", INDEX_RETRY_MS);
        vertx.setTimer(INDEX_RETRY_MS, t -> ensureIndexes());
        return Future.succeededFuture();
      });
  }

  private <T> void consume(String address, Function<JsonObject, Future<T>> handler) {
    consumers.add(Bus.serve(vertx.eventBus(), address, handler));
  }

  private Future<JsonObject> append(JsonObject body) {
    requireIndexes();
    if (!(body.getValue("events") instanceof JsonArray list) || list.isEmpty() || list.size() > maxBatch) {
      throw Failures.badRequest("'events' must be an array of 1 to " + maxBatch + " events");
    }
    JsonArray checked = new JsonArray();
    for (int i = 0; i < list.size(); i++) {
      String where = "events[" + i + "]";
      JsonObject event = EventRules.checkEvent(list.getValue(i), maxDataBytes, APPEND_FIELDS, where);
      JsonObject raw = list.getJsonObject(i);
      String stream = raw.getValue("stream") instanceof String s ? s : null;
      if (!Streams.isValidName(stream)) {
        throw Failures.badRequest(where + ": 'stream' is not a valid stream name");
      }
      if (!(raw.getValue("by") instanceof String by) || by.isEmpty()) {
        throw Failures.badRequest(where + ": 'by' must name the publisher");
      }
      checked.add(StorageBus.event(stream, event, by));
    }
    return commits.submit(checked).map(results -> new JsonObject().put("results", results));
  }

  private Future<JsonObject> read(JsonObject body) {
    requireIndexes();
    String stream = stream(body);
    long from = Math.max(1, EventRules.optionalLong(body, "from", 1, 0, Long.MAX_VALUE));
    int limit = (int) EventRules.optionalLong(body, "limit", StorageBus.DEFAULT_READ_LIMIT, 1, StorageBus.MAX_READ_LIMIT);
    return lastSeq(stream).compose(last -> events.read(stream, from, last, limit).map(found -> {
      JsonArray list = new JsonArray(new ArrayList<>(found));
      long next = found.isEmpty() ? from : found.get(found.size() - 1).getLong("seq") + 1;
      return new JsonObject().put("stream", stream).put("events", list).put("next", next).put("lastSeq", last);
    }));
  }

  private Future<JsonObject> meta(JsonObject body) {
    requireIndexes();
    String stream = stream(body);
    return lastSeq(stream).map(last -> new JsonObject().put("stream", stream).put("lastSeq", last));
  }

  private Future<JsonObject> ping() {
    requireIndexes();
    return events.ping().map(v -> new JsonObject());
  }

  /** The last durable seq: what readers may see. Never more than what has been acknowledged. */
  private Future<Long> lastSeq(String stream) {
    Long cached = seqs.get(stream);
    return cached != null ? Future.succeededFuture(cached) : events.lastSeq(stream);
  }

  private void published(List<JsonObject> stored) {
    appended.increment(stored.size());
    for (JsonObject event : stored) {
      vertx.eventBus().publish(Streams.liveAddress(event.getString("stream")), event);
    }
  }

  private void requireIndexes() {
    if (!indexed) {
      throw Failures.unavailable("storage is not ready yet, retry later");
    }
  }

  private static String stream(JsonObject body) {
    Object stream = body.getValue("stream");
    if (!(stream instanceof String s) || !Streams.isValidName(s)) {
      throw Failures.badRequest("'stream' is not a valid stream name");
    }
    return s;
  }

  private static MeterRegistry registry() {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    return registry != null ? registry : Metrics.globalRegistry;
  }

  private static String redact(String uri) {
    return uri.replaceAll("//[^@/]*@", "//***@");
  }
}
