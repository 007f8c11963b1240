package io.hubbub.sensors;

import io.hubbub.Backoff;
import io.hubbub.Partitions;
import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Consumers;
import io.hubbub.bus.Failures;
import io.hubbub.bus.SensorsBus;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageClient;
import io.hubbub.bus.Streams;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Device readings: rolling 1-minute and 1-hour aggregates and alerts, both kept from the stored events by one
 * {@link DeviceFeed} per registered device, folded for all devices at once by {@link Folding}. The readings themselves
 * are appended to the device's stream by the gateway ({@code READING} events, checked by {@code Readings}): they are
 * taken even while no sensors instance runs, and folded from the stream when one does.
 *
 * <p>Feeds are spread over the sensors instances of a cluster: devices fall into {@value SensorsBus#PARTITIONS}
 * partitions, and an instance follows the devices of the partitions whose locks it holds ({@link Partitions}, as
 * storage's are held: balanced every second, a dead member's taken over in the next round). A partition moves
 * cleanly: the instance giving it up stops its feeds, lets the fold in flight finish and writes their checkpoints
 * before it lets the lock go; the next owner resumes from those. A device's aggregates (whose newest buckets its
 * feed's instance holds until their checkpoint), its status and the deletion of its data go to its partition's
 * owner.
 */
public final class SensorsVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(SensorsVerticle.class);
  private static final Map<String, Long> DEFAULT_SPAN = Map.of("1m", 3_600_000L, "1h", 7 * 86_400_000L);

  private Consumers consumers;
  private final Map<String, DeviceFeed> feeds = new HashMap<>();
  private final Map<String, MessageConsumer<?>> live = new HashMap<>();
  /** The partitions this instance follows (from when it starts serving one until it has quit it), with their addresses. */
  private final Map<Integer, List<MessageConsumer<?>>> mine = new HashMap<>();
  private final HubbubConf conf;
  private final long timeoutMs;
  private final String instance = UUID.randomUUID().toString();
  private Aggregates aggregates;
  private AggregateRetention retention;
  private long sweeper = -1;
  private Alerts alerts;
  private Folding folding;
  private StorageClient storage;
  private Partitions partitions;
  private boolean stopped;

  public SensorsVerticle(HubbubConf conf) {
    this.conf = conf;
    this.timeoutMs = conf.mongo().busTimeoutMs();
  }

  @Override
  public Future<?> start() {
    consumers = new Consumers(vertx.eventBus());
    alerts = new Alerts(conf.sensors().alerts());
    storage = new StorageClient(vertx, conf.storage().partitions(), timeoutMs);
    aggregates = new Aggregates(storage, conf.sensors().retention());
    retention = new AggregateRetention(storage, conf.sensors().retention());
    folding = new Folding(vertx, storage, aggregates, conf.sensors().foldMs());
    consumers.add(AuthBus.DEVICES_CHANGED.consumer(vertx.eventBus(), change -> {
      if (!mine.containsKey(SensorsBus.partition(change.deviceId()))) {
        return;
      }
      if (change.created()) {
        follow(change.deviceId());
      } else {
        // its checkpoint is not written: should it come back, its feed replays what its buckets did not take
        unfollow(change.deviceId());
        folding.settled().onComplete(v -> {
          if (!feeds.containsKey(change.deviceId())) {
            aggregates.forget(Set.of(change.deviceId()));
          }
        });
      }
    }));
    partitions = new Partitions(vertx, SensorsBus.LOCK_PREFIX, SensorsBus.INSTANCES_MAP, SensorsBus.PARTITIONS, instance,
      conf.cluster().node(), "sensors", Partitions.Owner.of(this::servePartition, this::quitPartition));
    return consumers.ready().compose(v -> partitions.start()).onSuccess(v ->
      sweeper = vertx.setTimer(conf.sensors().retention().sweepSeconds() * 1_000L, t -> sweep()));
  }

  /** Starts following a partition's devices: its aggregates, status and purge addresses, then a feed per device. */
  private Future<Void> servePartition(int partition) {
    List<MessageConsumer<?>> addresses = new ArrayList<>();
    mine.put(partition, addresses);
    addresses.add(SensorsBus.aggregates(partition).serve(vertx.eventBus(), this::aggregates));
    addresses.add(SensorsBus.status(partition).serve(vertx.eventBus(), device -> feed(device.deviceId()).map(DeviceFeed::status)));
    addresses.add(SensorsBus.purge(partition).serve(vertx.eventBus(), device -> purge(device.deviceId())));
    return Future.all(addresses.stream().map(MessageConsumer::completion).toList())
      .compose(v -> AuthBus.DEVICE_LIST.request(vertx.eventBus(), null, timeoutMs))
      .onSuccess(list -> list.getJsonArray("devices").stream().map(d -> ((JsonObject) d).getString("deviceId"))
        .filter(device -> device != null && SensorsBus.partition(device) == partition).forEach(this::follow))
      .recover(failure -> {
        mine.remove(partition);
        addresses.forEach(MessageConsumer::unregister);
        return Future.failedFuture(failure); // not served: claimed again in a later round
      })
      .mapEmpty();
  }

  /**
   * Stops following a partition's devices: their feeds stop, the fold in flight ends, and the buckets and checkpoints
   * not yet written are, so the next owner resumes where this one stopped (buckets and alerts skip what they hold, if
   * not).
   */
  private Future<Void> quitPartition(int partition) {
    List<MessageConsumer<?>> addresses = mine.remove(partition);
    List<DeviceFeed> leaving = new ArrayList<>();
    for (String device : List.copyOf(feeds.keySet())) {
      if (SensorsBus.partition(device) == partition) {
        leaving.add(feeds.get(device));
        unfollow(device);
      }
    }
    Future<?> unregistered = addresses == null ? Future.succeededFuture()
      : Future.join(addresses.stream().map(MessageConsumer::unregister).toList());
    return unregistered.eventually(() -> folding.settled())
      .compose(v -> folding.flush(leaving))
      .onFailure(failure -> log.warn("checkpoints of a partition given up not written: its next owner replays more "
        + "[partition: {}, error: {}]", partition, failure.getMessage()))
      .otherwiseEmpty()
      // another instance writes these buckets from now
      .onComplete(v -> aggregates.forget(leaving.stream().map(feed -> feed.device).collect(Collectors.toSet())));
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
    Future<?> handedBack = partitions == null ? Future.succeededFuture() : partitions.stop(); // each partition quit cleanly
    return handedBack.eventually(() -> {
      folding.close();
      return Future.join(consumers.unregister(), Future.join(live.values().stream().map(MessageConsumer::unregister).toList()));
    });
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

  private void follow(String device) {
    follow(device, new Backoff(500, 30_000));
  }

  /** Whether this instance follows the device's partition now. */
  private boolean following(String device) {
    return !stopped && mine.containsKey(SensorsBus.partition(device));
  }

  private void follow(String device, Backoff backoff) {
    if (feeds.containsKey(device) || !Streams.isKey(device) || !following(device)) {
      return;
    }
    storage.request(StorageBus.DOC_FIND, StorageBus.docKey(DeviceFeed.COLLECTION, device))
      .recover(failure -> Failures.code(failure) == Failures.NOT_FOUND ? Future.succeededFuture(new JsonObject())
        : Future.failedFuture(failure))
      .onSuccess(checkpoint -> {
        if (feeds.containsKey(device) || !following(device)) {
          return; // followed meanwhile, or its partition was given up while its checkpoint was read
        }
        DeviceFeed feed = new DeviceFeed(vertx, device, checkpoint, storage, alerts, folding);
        feeds.put(device, feed);
        MessageConsumer<Object> consumer = vertx.eventBus().consumer(Streams.liveAddress(SensorsBus.stream(device)),
          m -> Streams.eachLive(m.body(), feed::offer));
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
    return folding.settled().compose(settled -> {
      aggregates.forget(Set.of(device));
      return storage.truncateAll(SensorsBus.stream(device));
    }).compose(dropped -> storage.request(StorageBus.DOC_DELETE_WHERE,
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
