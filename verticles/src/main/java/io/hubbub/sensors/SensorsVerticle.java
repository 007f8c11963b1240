package io.hubbub.sensors;

import io.hubbub.Backoff;
import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Consumers;
import io.hubbub.bus.Failures;
import io.hubbub.bus.Readings;
import io.hubbub.bus.SensorsBus;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageClient;
import io.hubbub.bus.Streams;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Lock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Device readings: ingest (checked, one append per batch), rolling 1-minute and 1-hour aggregates and
 * alerts, both kept from the stored events by one {@link DeviceFeed} per registered device, folded for all
 * devices at once by {@link Folding}.
 *
 * <p>One sensors instance is active in a cluster: the one holding the cluster-wide lock
 * {@value #ACTIVE_LOCK} (released when its member dies). Others wait as standbys and take over from
 * the feeds' stored checkpoints.
 */
public final class SensorsVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(SensorsVerticle.class);
  static final String ACTIVE_LOCK = "hubbub.sensors.active";
  private static final long STANDBY_WAIT_MS = 10_000;
  private static final Map<String, Long> DEFAULT_SPAN = Map.of("1m", 3_600_000L, "1h", 7 * 86_400_000L);

  private Consumers consumers;
  private final Map<String, DeviceFeed> feeds = new HashMap<>();
  private final Map<String, MessageConsumer<?>> live = new HashMap<>();
  private final Backoff deviceList = new Backoff(500, 30_000);
  private final HubbubConf conf;
  private final int maxBatch;
  private final long timeoutMs;
  private Aggregates aggregates;
  private AggregateRetention retention;
  private long sweeper = -1;
  private Alerts alerts;
  private Folding folding;
  private StorageClient storage;
  private Lock active;
  private boolean stopped;

  public SensorsVerticle(HubbubConf conf) {
    this.conf = conf;
    this.maxBatch = conf.limits().maxBatch();
    this.timeoutMs = conf.mongo().busTimeoutMs();
  }

  @Override
  public Future<?> start() {
    consumers = new Consumers(vertx.eventBus());
    return vertx.sharedData().getLockWithTimeout(ACTIVE_LOCK, 100).transform(attempt -> {
      if (attempt.succeeded()) {
        active = attempt.result();
        return activate();
      }
      log.info("standby: another sensors instance is active");
      standBy();
      return Future.succeededFuture();
    });
  }

  /** Waits for the active instance's lock; takes over when it is free. */
  private void standBy() {
    vertx.sharedData().getLockWithTimeout(ACTIVE_LOCK, STANDBY_WAIT_MS).onComplete(attempt -> {
      if (attempt.failed()) {
        if (!stopped) {
          standBy();
        }
      } else if (stopped) {
        attempt.result().release();
      } else {
        active = attempt.result();
        log.info("taking over as the active sensors instance");
        activate().onFailure(failure -> log.error("sensors could not take over", failure));
      }
    });
  }

  private Future<?> activate() {
    alerts = new Alerts(conf.sensors().alerts());
    storage = new StorageClient(vertx, conf.storage().partitions(), timeoutMs);
    aggregates = new Aggregates(storage, conf.sensors().retention());
    retention = new AggregateRetention(storage, conf.sensors().retention());
    folding = new Folding(vertx, storage, aggregates, conf.sensors().foldMs());
    consumers.serve(SensorsBus.INGEST, this::ingest);
    consumers.serve(SensorsBus.AGGREGATES, this::aggregates);
    consumers.serve(SensorsBus.STATUS, device -> feed(device.deviceId()).map(DeviceFeed::status));
    consumers.serve(SensorsBus.PURGE, device -> purge(device.deviceId()));
    consumers.add(AuthBus.DEVICES_CHANGED.consumer(vertx.eventBus(), change -> {
      if (change.created()) {
        follow(change.deviceId());
      } else {
        unfollow(change.deviceId());
      }
    }));
    return consumers.ready().onSuccess(v -> {
      followAll();
      sweeper = vertx.setTimer(conf.sensors().retention().sweepSeconds() * 1_000L, t -> sweep());
    });
  }

  /** Drops the aggregates past their time, one device after another, then waits for the next sweep. */
  private void sweep() {
    long now = System.currentTimeMillis();
    Future<Long> done = Future.succeededFuture(0L);
    for (Map.Entry<String, DeviceFeed> feed : List.copyOf(feeds.entrySet())) {
      done = done.compose(n -> stopped ? Future.succeededFuture(n)
        : retention.sweep(feed.getKey(), feed.getValue().kinds(), now).map(m -> n + m));
    }
    done.onSuccess(n -> {
      if (n > 0) {
        log.info("aggregates past their time dropped [buckets: {}]", n);
      }
    }).onFailure(failure -> log.warn("aggregate retention cut short, retried at the next sweep [error: {}]", failure.getMessage()))
      .onComplete(v -> {
        if (!stopped) {
          sweeper = vertx.setTimer(conf.sensors().retention().sweepSeconds() * 1_000L, t -> sweep());
        }
      });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    vertx.cancelTimer(sweeper);
    feeds.values().forEach(DeviceFeed::stop);
    if (folding != null) {
      folding.close();
    }
    Future<?> unregistered = Future.join(live.values().stream().map(MessageConsumer::unregister).toList());
    return Future.join(consumers.unregister(), unregistered).onComplete(done -> {
      if (active != null) {
        active.release();
      }
    });
  }

  private Future<JsonObject> ingest(SensorsBus.Ingest request) {
    String device = request.deviceId();
    JsonArray events = Readings.events(request.readings(), maxBatch, System.currentTimeMillis());
    String stream = SensorsBus.stream(device);
    JsonArray append = new JsonArray();
    events.forEach(e -> append.add(StorageBus.event(stream, (JsonObject) e, device)));
    return storage.request(StorageBus.APPEND, StorageBus.Append.of(append)).map(StorageBus.Appended::toJson);
  }

  private Future<JsonObject> aggregates(SensorsBus.AggregatesQuery query) {
    long to = query.to() != null ? query.to().toEpochMilli() : System.currentTimeMillis();
    long from = query.from() != null ? query.from().toEpochMilli() : to - DEFAULT_SPAN.get(query.window());
    if (from > to) {
      throw Failures.badRequest("'from' is after 'to'");
    }
    return aggregates.query(query.deviceId(), query.kind(), query.window(), from, to);
  }

  /** The feed of a known device, 404 otherwise. */
  private Future<DeviceFeed> feed(String device) {
    DeviceFeed feed = feeds.get(device);
    return feed != null ? Future.succeededFuture(feed) : Future.failedFuture(Failures.of(Failures.NOT_FOUND, "no device '" + device + "'"));
  }

  /** Follows every registered device; until auth answers, tries again now and then. */
  private void followAll() {
    AuthBus.DEVICE_LIST.request(vertx.eventBus(), null, timeoutMs)
      .onSuccess(list -> list.getJsonArray("devices").forEach(d -> follow(((JsonObject) d).getString("deviceId"))))
      .onFailure(failure -> {
        long delay = deviceList.next();
        log.warn("device list not read yet, retrying [in: {} ms, error: {}]", delay, failure.getMessage());
        vertx.setTimer(delay, t -> followAll());
      });
  }

  private void follow(String device) {
    follow(device, new Backoff(500, 30_000));
  }

  private void follow(String device, Backoff backoff) {
    if (feeds.containsKey(device) || !Streams.KEY.matcher(device).matches()) {
      return;
    }
    storage.request(StorageBus.DOC_FIND, StorageBus.docKey(DeviceFeed.COLLECTION, device))
      .recover(failure -> Failures.code(failure) == Failures.NOT_FOUND ? Future.succeededFuture(new JsonObject())
        : Future.failedFuture(failure))
      .onSuccess(checkpoint -> {
        if (feeds.containsKey(device)) {
          return;
        }
        DeviceFeed feed = new DeviceFeed(vertx, device, checkpoint, storage, alerts, folding);
        feeds.put(device, feed);
        MessageConsumer<Object> consumer = vertx.eventBus().consumer(Streams.liveAddress(SensorsBus.stream(device)), m -> feed.offer(m.body()));
        live.put(device, consumer);
        consumer.completion().onComplete(done -> feed.poke());
      })
      .onFailure(failure -> {
        long delay = backoff.next();
        log.warn("device checkpoint not read, retrying [device: {}, in: {} ms, error: {}]", device, delay, failure.getMessage());
        vertx.setTimer(delay, t -> follow(device, backoff));
      });
  }

  /** Drops a device's data: its feed stops, then its stream's events, its aggregates and its checkpoint go. */
  private Future<JsonObject> purge(String device) {
    unfollow(device);
    aggregates.forget(device);
    return storage.truncateAll(SensorsBus.stream(device)).compose(dropped -> storage.request(StorageBus.DOC_DELETE_WHERE,
          new StorageBus.DocWhere(Aggregates.COLLECTION, "_id", device + "|", true))
        .compose(buckets -> storage.request(StorageBus.DOC_DELETE, StorageBus.docKey(DeviceFeed.COLLECTION, device))
          .compose(v -> storage.request(StorageBus.DOC_DELETE, StorageBus.docKey(DeviceFeed.COLLECTION, AggregateRetention.key(device))))
          .map(v -> new JsonObject().put("events", dropped).put("aggregates", buckets))));
  }

  private void unfollow(String device) {
    DeviceFeed feed = feeds.remove(device);
    if (feed != null) {
      feed.stop();
    }
    MessageConsumer<?> consumer = live.remove(device);
    if (consumer != null) {
      consumer.unregister();
    }
  }
}
