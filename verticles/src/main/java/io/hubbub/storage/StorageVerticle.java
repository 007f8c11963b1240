package io.hubbub.storage;

import io.hubbub.Backoff;
import io.hubbub.ClusterGuard;
import io.hubbub.Node;
import io.hubbub.Partitions;
import io.hubbub.bus.Consumers;
import io.hubbub.bus.EventRules;
import io.hubbub.bus.Failures;
import io.hubbub.bus.HandOver;
import io.hubbub.bus.StorageBus.Append;
import io.hubbub.bus.StorageBus.Appended;
import io.hubbub.bus.StorageBus.Page;
import io.hubbub.bus.StorageBus.Read;
import io.hubbub.bus.StorageBus.StreamInfo;
import io.hubbub.bus.StorageBus.StreamKey;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.Streams;
import io.hubbub.conf.HubbubConf;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The only code that touches MongoDB: appends events with seqs (group-committed), reads ranges and
 * keeps the few documents other verticles need. Publishes each event on its live address once it
 * is durable. With no MongoDB URI configured, uses the node's embedded store ({@link NodeStore}: the first storage
 * instance of the node starts it, the last one closes it).
 *
 * <p>Streams belong to partitions; this instance serves the appends, reads and metadata of the
 * partitions it owns ({@link Partitions}), on {@code storage.append.<n>} and so on, and the document
 * operations of any caller. Seqs and group commit stay local to the owner.
 */
public final class StorageVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(StorageVerticle.class);
  private static final Set<String> APPEND_FIELDS = Set.of("stream", "by");
  /** How long a page read ahead is held for the read it was made for. */
  private static final long READ_AHEAD_MILLIS = 10_000;

  private Consumers consumers;
  private final Map<Integer, Consumers> partitionConsumers = new HashMap<>();
  private final String instance = UUID.randomUUID().toString();
  private final HubbubConf conf;
  private final int partitionCount;
  private final int maxDataBytes;
  private final int maxBatch;
  private final long maxReadBytes;
  private Partitions partitions;
  private Counter fenced;
  private StoreConnection store;
  private EventStore events;
  private DocStore docs;
  private SeqCache seqs;
  private StreamBounds bounds;
  private Retention retention;
  /** Cuts under way, by stream: the next one for a stream waits for the one before. */
  private final Map<String, Future<Integer>> cutting = new HashMap<>();
  private GroupCommit commits;
  /** Pages read ahead for readers going through a stream page after page. */
  private ReadAhead<Future<EventPage>> ahead;
  private long aheadTimer = -1;
  private boolean indexed;
  private long prepareTimer = -1;
  private final Backoff preparing = new Backoff(500, 30_000);
  private boolean stopping;

  public StorageVerticle(HubbubConf conf) {
    this.conf = conf;
    this.partitionCount = conf.storage().partitions();
    this.maxDataBytes = conf.limits().maxDataBytes();
    this.maxBatch = conf.limits().maxBatch();
    this.maxReadBytes = conf.limits().maxReadBytes();
  }

  @Override
  public Future<?> start() {
    consumers = new Consumers(vertx.eventBus());
    HandOver.register(vertx.eventBus()); // appends come so (from other nodes too), and their acks go so
    HubbubConf.Storage storageConf = conf.storage();
    long timeoutMs = conf.mongo().timeoutMs();
    seqs = new SeqCache(storageConf.seqCacheStreams());
    ahead = new ReadAhead<>(storageConf.readAhead(), READ_AHEAD_MILLIS);
    aheadTimer = vertx.setPeriodic(READ_AHEAD_MILLIS, t -> ahead.expire(millis()));
    MeterRegistry registry = Node.registry();
    String meterInstance = Node.meterInstance("storage");
    Map.<String, ToDoubleFunction<ReadAhead<?>>>of("taken", ReadAhead::taken, "dropped", ReadAhead::dropped)
      .forEach((result, count) -> FunctionCounter.builder("hubbub.storage.reads.ahead", ahead, count)
        .description("Pages read ahead: taken by the read they were made for, or dropped unread")
        .tag("result", result).tag("verticle", meterInstance).register(registry));
    fenced = Counter.builder("hubbub.storage.partitions.fenced")
      .description("Partitions given up because another writer stored under their keys").register(registry);
    Gauge.builder("hubbub.storage.partitions.owned", this, v -> v.partitions == null ? 0 : v.partitions.ownedCount())
      .description("Storage partitions this instance owns").tag("verticle", meterInstance).register(registry);

    return StoreConnection.open(vertx, conf.mongo(), storageConf.poolSize()).compose(connection -> {
      store = connection;
      MongoClient mongo = connection.mongo;
      StoreCalls calls = new StoreCalls(timeoutMs, StoreCalls.writesFor(connection.uri));
      bounds = new StreamBounds(mongo, calls, storageConf.seqCacheStreams());
      events = new EventStore(mongo, connection.raw, calls, bounds);
      retention = new Retention(vertx, conf, bounds, events, new Retention.Owner() {
        @Override
        public boolean owns(String stream) {
          return partitions != null && partitions.owns(partition(stream));
        }

        @Override
        public Future<StreamInfo> range(String stream) {
          return info(partition(stream), stream);
        }

        @Override
        public Future<Integer> cut(String stream, long firstSeq) {
          return StorageVerticle.this.cut(stream, firstSeq);
        }
      });
      docs = new DocStore(mongo, calls, storageConf);
      commits = new GroupCommit(events, seqs, storageConf.maxBatchEvents(), storageConf.maxWritesInFlight(),
        this::announce, stream -> partitions != null && partitions.owns(partition(stream)), this::fenced, registry);
      consumers.serve(StorageBus.PING, body -> ping());
      consumers.serve(StorageBus.DOC_INSERT, docs::insert);
      consumers.serve(StorageBus.DOC_FIND, docs::find);
      consumers.serve(StorageBus.DOC_DELETE, docs::delete);
      consumers.serve(StorageBus.DOC_ADD, docs::add);
      consumers.serve(StorageBus.DOC_REMOVE, docs::remove);
      consumers.serve(StorageBus.DOC_LIST, docs::list);
      consumers.serve(StorageBus.DOC_PUT, docs::put);
      consumers.serve(StorageBus.DOC_SWAP, docs::swap);
      consumers.serve(StorageBus.DOC_GET, docs::get);
      consumers.serve(StorageBus.DOC_DELETE_WHERE, docs::deleteWhere);
      consumers.serve(StorageBus.DOC_DELETE_MANY, docs::deleteMany);
      return consumers.ready().compose(v -> prepare());
    });
  }

  /** Stops taking requests, writes what was accepted, then hands the partitions back and closes the store. */
  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(prepareTimer);
    vertx.cancelTimer(aheadTimer);
    if (retention != null) {
      retention.stop();
    }
    List<Future<Void>> unregistered = new ArrayList<>(List.of(consumers.unregister()));
    partitionConsumers.values().forEach(served -> unregistered.add(served.unregister()));
    partitionConsumers.clear();
    return Future.join(unregistered)
      .eventually(() -> commits == null ? Future.succeededFuture() : commits.whenIdle().timeout(10, TimeUnit.SECONDS))
      .eventually(() -> partitions == null ? Future.succeededFuture() : partitions.stop())
      .eventually(() -> store == null ? Future.succeededFuture() : store.close(vertx));
  }

  /**
   * Creates the indexes, lists the streams of a store from before they were listed, learns the store's identity
   * and starts claiming partitions and applying retention. While the store is unreachable it retries in the
   * background; appends and reads find no owner meanwhile (503).
   */
  private Future<Void> prepare() {
    return events.ensureIndexes()
      .onSuccess(v -> {
        indexed = true;
        if (events.ownKeys()) {
          log.info("the store's ids index ({}.{}) is not sparse, as made before 2026-12-08: each bucket keeps its own key "
            + "in it (docs/design.md, \"Storage layout\", says how to make it sparse)", EventStore.BUCKETS, EventStore.IDS_INDEX);
        }
      })
      .compose(v -> bounds.listExisting())
      .compose(v -> events.storeId())
      .compose(store -> {
        if (stopping) {
          return Future.succeededFuture();
        }
        partitions = new Partitions(vertx, "hubbub.partition.", StorageBus.INSTANCES_MAP, partitionCount, instance,
          conf.cluster().node(), store, Partitions.Owner.of(this::servePartition, this::quitPartition));
        log.info("storage ready [store: {}, partitions: {}]", store, partitionCount);
        retention.start();
        return partitions.start();
      })
      .recover(failure -> {
        long delay = preparing.next();
        log.warn("store not ready yet, retrying [in: {} ms, error: {}]", delay, failure.getMessage());
        prepareTimer = vertx.setTimer(delay, t -> prepare());
        return Future.succeededFuture();
      });
  }

  private Future<Void> servePartition(int partition) {
    seqs.forgetIf(stream -> partition(stream) == partition); // another owner may have written since
    bounds.forgetIf(stream -> partition(stream) == partition); // or cut
    ahead.forgetIf(stream -> partition(stream) == partition); // or redacted
    Consumers served = new Consumers(vertx.eventBus());
    served.serve(StorageBus.of(StorageBus.APPEND, partition), request -> append(partition, request));
    served.serve(StorageBus.of(StorageBus.READ, partition), request -> read(partition, request));
    served.serve(StorageBus.of(StorageBus.META, partition), request -> meta(partition, request));
    served.serve(StorageBus.of(StorageBus.TRUNCATE, partition), request -> truncate(partition, request));
    served.serve(StorageBus.of(StorageBus.REDACT, partition), request -> redact(partition, request));
    partitionConsumers.put(partition, served);
    return served.ready();
  }

  private Future<Void> quitPartition(int partition) {
    Consumers served = partitionConsumers.remove(partition);
    Future<Void> unregistered = served == null ? Future.succeededFuture() : served.unregister();
    // queued requests for it are refused (503); its next owner reads the bounds of its streams once cuts are done
    ahead.forgetIf(stream -> partition(stream) == partition);
    List<Future<Integer>> cuts = cutting.entrySet().stream().filter(e -> partition(e.getKey()) == partition).map(Map.Entry::getValue).toList();
    return unregistered.compose(v -> commits.whenWritten()).eventually(() -> Future.join(cuts)).<Void>mapEmpty().otherwiseEmpty();
  }

  private void fenced(Set<String> streams) {
    streams.stream().map(this::partition).distinct().forEach(partition -> {
      fenced.increment();
      partitions.giveUp(partition, "another writer stored under its keys");
    });
  }

  private int partition(String stream) {
    return StorageBus.partition(stream, partitionCount);
  }

  private Future<Appended> append(int partition, Append request) {
    serving(partition);
    List<JsonObject> list = request.events();
    if (list.size() > maxBatch) {
      throw Failures.badRequest("'events' must be an array of 1 to " + maxBatch + " events");
    }
    JsonArray checked = new JsonArray(new ArrayList<>(list.size()));
    if (request.checkedWithin(maxDataBytes)) { // by the gateway on this node, handed over: its own copies
      String stream = null;
      for (JsonObject event : list) {
        if (!event.getString("stream").equals(stream)) {
          stream = inPartition(event.getString("stream"), partition);
        }
        checked.add(event);
      }
    } else {
      for (int i = 0; i < list.size(); i++) {
        JsonObject raw = list.get(i);
        JsonObject event = EventRules.checkEvent(raw, maxDataBytes, APPEND_FIELDS, "events[" + i + "]");
        String stream = inPartition(raw.getString("stream"), partition);
        checked.add(event.put("stream", stream).put("by", raw.getString("by"))); // checkEvent's own copy
      }
    }
    return commits.submit(checked).map(Appended::new);
  }

  /** A page from {@code from}, or from the oldest seq the stream holds when that is later. */
  private Future<Page> read(int partition, Read request) {
    serving(partition);
    String stream = inPartition(request.stream(), partition);
    return page(partition, stream, request, true);
  }

  private Future<Page> page(int partition, String stream, Read request, boolean firstTry) {
    return info(partition, stream).compose(info -> {
      long from = Math.max(request.from(), info.firstSeq());
      ReadAhead.Key read = new ReadAhead.Key(stream, from, request.limit());
      return events(read, info.lastSeq()).compose(found -> {
        if (found.isEmpty() && from <= info.lastSeq() && firstTry) {
          // the stream's start moved since it was cached (a cut just now): read where it starts now
          bounds.forget(stream);
          return page(partition, stream, request, false);
        }
        ReadAhead.Key following = ahead.answered(read, found.next(), info.lastSeq());
        if (following != null) {
          ahead.put(following, readNow(following, info.lastSeq()), info.lastSeq(), millis());
        }
        return Future.succeededFuture(new Page(found.json(info.firstSeq(), info.lastSeq())));
      });
    });
  }

  /**
   * The events a read finds while the stream's last seq is {@code last}: the page read ahead for it if there is one
   * and it is what a read finds now (it ended short of the last seq then, or is full, or nothing came since), else
   * read now.
   */
  private Future<EventPage> events(ReadAhead.Key read, long last) {
    ReadAhead.Ahead<Future<EventPage>> held = ahead.take(read, millis());
    if (held == null) {
      return readNow(read, last);
    }
    return held.page().transform(done -> {
      EventPage page = done.result();
      if (done.succeeded() && (page.next() <= held.last() || page.size() == read.limit() || held.last() == last)) {
        ahead.served();
        return Future.succeededFuture(page);
      }
      ahead.refused();
      return readNow(read, last);
    });
  }

  /** A monotonic clock in milliseconds, for how long pages read ahead are held. */
  private static long millis() {
    return System.nanoTime() / 1_000_000;
  }

  private Future<EventPage> readNow(ReadAhead.Key read, long last) {
    return events.read(read.stream(), read.from(), last, read.limit(), maxReadBytes);
  }

  private Future<StreamInfo> meta(int partition, StreamKey request) {
    serving(partition);
    return info(partition, inPartition(request.stream(), partition));
  }

  /** Drops a stream's history below {@code before}; nothing when it starts there or later already. */
  private Future<StreamInfo> truncate(int partition, StorageBus.Truncate request) {
    serving(partition);
    String stream = inPartition(request.stream(), partition);
    return info(partition, stream).compose(info -> {
      if (request.before() > info.lastSeq() + 1) {
        throw Failures.badRequest("'before' is past the end of '" + stream + "': its last seq is " + info.lastSeq()
          + ", so 'before' may be at most " + (info.lastSeq() + 1));
      }
      return cut(stream, request.before()).compose(v -> info(partition, stream));
    });
  }

  /**
   * Redacts an author's events in a stream, from where it starts to its last seq now (what is appended meanwhile is
   * not looked at: the author is gone by then). Live readers are not told; what they read next is redacted.
   */
  private Future<Long> redact(int partition, StorageBus.Redact request) {
    serving(partition);
    String stream = inPartition(request.stream(), partition);
    // pages read ahead hold events as they were: none made before the redaction ends is read
    ahead.forgetIf(stream::equals);
    return info(partition, stream)
      .compose(info -> events.redact(stream, info.firstSeq(), info.lastSeq(), request.by(), StorageBus.DELETED_USER))
      .andThen(done -> ahead.forgetIf(stream::equals));
  }

  /** Where a stream's history starts and ends; {@code firstSeq} is {@code lastSeq + 1} when it holds nothing. */
  private Future<StreamInfo> info(int partition, String stream) {
    return lastSeq(partition, stream).compose(last -> bounds.get(stream)
      .map(held -> new StreamInfo(stream, Math.min(held.firstSeq(), last + 1), last)));
  }

  /**
   * Moves the start of a stream's history to {@code firstSeq} (never back) and deletes the buckets below it: the new
   * start is written first, so readers never look for what is being deleted, and the floor after, so a drop cut
   * short by a crash is finished by the next. One cut of a stream at a time. Answers the buckets deleted.
   */
  private Future<Integer> cut(String stream, long firstSeq) {
    Future<Integer> before = cutting.getOrDefault(stream, Future.succeededFuture(0));
    Future<Integer> done = before.transform(previous -> {
      serving(partition(stream)); // the partition may have moved meanwhile: its new owner cuts
      return bounds.get(stream);
    }).compose(held -> {
      long first = Math.max(held.firstSeq(), firstSeq);
      Future<Void> moved = first == held.firstSeq() ? Future.succeededFuture()
        : bounds.save(stream, new StreamBounds.Bounds(first, held.floor()));
      return moved.compose(v -> events.drop(stream, held.floor(), first))
        .compose(dropped -> held.floor() == first ? Future.succeededFuture(dropped)
          : bounds.save(stream, new StreamBounds.Bounds(first, first)).map(dropped));
    });
    cutting.put(stream, done);
    return done.andThen(finished -> cutting.remove(stream, done));
  }

  private Future<JsonObject> ping() {
    requireIndexes();
    return events.ping().map(v -> new JsonObject());
  }

  /**
   * The last durable seq: what readers may see, never more than what has been acknowledged. Found in the
   * store once, then kept while this instance owns the partition (every write to it goes through here).
   */
  private Future<Long> lastSeq(int partition, String stream) {
    Long cached = seqs.get(stream);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return events.lastSeq(stream).onSuccess(last -> {
      if (partitions.owns(partition) && seqs.get(stream) == null) {
        seqs.put(stream, last);
      }
    });
  }

  /**
   * Live delivery, the only way an event reaches subscribers, once it is durable: each stream's events on its address
   * in seq order, a long run of one stream's events as arrays ({@link Streams#liveMessages}).
   */
  private void announce(List<JsonObject> events) {
    Streams.liveMessages(events, (stream, message) -> vertx.eventBus().publish(Streams.liveAddress(stream), message));
  }

  /** 503 unless this instance serves the partition now (a minority, or a node just dropped, serves nothing). */
  private void serving(int partition) {
    if (partitions == null || !partitions.owns(partition)) {
      ClusterGuard guard = ClusterGuard.of(vertx);
      String why = guard.trusted() ? "partition " + partition + " is changing owner" : guard.why();
      throw Failures.unavailable(why + ": retry (with the same id, for a publish)");
    }
  }

  private String inPartition(String stream, int partition) {
    if (partition(stream) != partition) {
      throw Failures.badRequest("stream '" + stream + "' is not in partition " + partition + " of "
        + partitionCount + ": does storage.partitions differ between nodes?");
    }
    return stream;
  }

  private void requireIndexes() {
    if (!indexed) {
      throw Failures.unavailable("storage is not ready yet, retry later");
    }
  }
}
