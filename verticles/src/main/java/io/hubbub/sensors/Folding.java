package io.hubbub.sensors;

import io.hubbub.Backoff;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageRequests;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Folds the events every feed has taken, all devices at once: the buckets they change (in memory, {@link Aggregates}),
 * the alerts raised (one append per device that raised any), then the checkpoints that are due, each after its
 * device's buckets: a feed's at most every {@value #CHECKPOINT_MS} ms (a restart replays from a device's checkpoint
 * what the buckets and alerts skip by seq, so a checkpoint need not follow every fold), at once when an alert was
 * raised or resolved. A device reporting every second thus costs a write of its buckets and of its checkpoint every
 * {@value #CHECKPOINT_MS} ms, not per reading. A fold's readings are applied (the status's {@code appliedSeq}) once
 * the aggregates in memory, which queries read, and the alerts stored hold them; the checkpoints are written after
 * that, within the same fold. At most one fold is in flight, and a fold starts at most every
 * {@code intervalMs}: under load each fold takes what many devices sent meanwhile. The first change after a quiet
 * spell is folded at once. A fold that fails changes no feed (its steps were worked out on copies) and is tried again
 * with backoff: buckets skip what they hold by seq, alert ids come from the reading's seq, so a fold written in part
 * and tried again counts nothing twice. Checkpoints that could not be written stay to be written: by the next fold
 * those that were due, within {@value #CHECKPOINT_MS} ms the others (a restart before replays from the checkpoint
 * before: the buckets and the alert ids skip what they hold by seq).
 */
final class Folding {

  private static final Logger log = LoggerFactory.getLogger(Folding.class);
  static final long CHECKPOINT_MS = 5_000;
  /**
   * Checkpoints (with their devices' buckets) one fold writes at most, besides those of alerts: devices that started
   * together would otherwise all fall due in the same fold every {@value #CHECKPOINT_MS} ms, and every feed would wait
   * for its long write. The rest go in the next folds, which spreads them out.
   */
  static final int MAX_DUE = 250;

  private final Vertx vertx;
  private final StorageRequests storage;
  private final Aggregates aggregates;
  private final long intervalMs;
  private final Backoff retries = new Backoff(250, 30_000);
  private final LinkedHashSet<DeviceFeed> dirty = new LinkedHashSet<>();
  /** Per device, the checkpoint of its last fold not written yet, oldest first. */
  private final Map<DeviceFeed, Unsaved> unsaved = new LinkedHashMap<>();
  /** Waiting for the fold in flight to end. */
  private final List<Promise<Void>> settling = new ArrayList<>();
  private boolean running;
  private boolean scheduled;
  private boolean closed;
  private long lastStart = Long.MIN_VALUE / 2;

  /** A feed's checkpoint not written yet, and since when its feed has had one not written. */
  private record Unsaved(JsonObject checkpoint, long since) {
  }

  Folding(Vertx vertx, StorageRequests storage, Aggregates aggregates, long intervalMs) {
    this.vertx = vertx;
    this.storage = storage;
    this.aggregates = aggregates;
    this.intervalMs = intervalMs;
  }

  /** The feed has events to fold. */
  void dirty(DeviceFeed feed) {
    dirty.add(feed);
    schedule(0);
  }

  void close() {
    closed = true;
  }

  /** Completes once no fold is in flight (at once when none is): nothing a stopped feed took is being written. */
  Future<Void> settled() {
    if (!running) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    settling.add(promise);
    return promise.future();
  }

  /**
   * Writes the buckets and then the checkpoints these feeds have not had written yet (their feeds stopped: they move
   * to another instance). The checkpoints are not written when the buckets could not be.
   */
  Future<Void> flush(Collection<DeviceFeed> feeds) {
    List<JsonObject> docs = new ArrayList<>();
    for (DeviceFeed feed : feeds) {
      Unsaved checkpoint = unsaved.remove(feed);
      if (checkpoint != null) {
        docs.add(checkpoint.checkpoint());
      }
    }
    return aggregates.write(feeds.stream().map(feed -> feed.device).toList())
      .compose(v -> storage.putAll(DeviceFeed.COLLECTION, docs));
  }

  private void schedule(long atLeastMs) {
    if (running || scheduled || closed || (dirty.isEmpty() && unsaved.isEmpty())) {
      return;
    }
    scheduled = true;
    long now = System.currentTimeMillis();
    // with nothing to fold, the checkpoints not written yet are, when they are due
    long wait = Math.max(atLeastMs, dirty.isEmpty() ? unsaved.values().iterator().next().since() + CHECKPOINT_MS - now
      : lastStart + intervalMs - now);
    if (wait <= 0) {
      vertx.runOnContext(v -> run());
    } else {
      vertx.setTimer(wait, t -> run());
    }
  }

  private void run() {
    scheduled = false;
    if (closed) {
      return;
    }
    running = true;
    lastStart = System.currentTimeMillis();
    List<DeviceFeed> feeds = new ArrayList<>(dirty);
    dirty.clear();
    List<DeviceFeed.Step> steps = feeds.stream().filter(f -> !f.stopped()).map(DeviceFeed::step).filter(Objects::nonNull).toList();
    // the checkpoints unwritten for CHECKPOINT_MS (oldest first, MAX_DUE at most), and those of feeds that raised or
    // resolved an alert
    Map<DeviceFeed, JsonObject> checkpoints = new LinkedHashMap<>();
    for (Iterator<Map.Entry<DeviceFeed, Unsaved>> i = unsaved.entrySet().iterator(); i.hasNext(); ) {
      Map.Entry<DeviceFeed, Unsaved> entry = i.next();
      if (entry.getKey().stopped()) {
        i.remove(); // its device moved or was deleted: flushed then, or not wanted
      } else if (entry.getValue().since() <= lastStart - CHECKPOINT_MS && checkpoints.size() < MAX_DUE) {
        checkpoints.put(entry.getKey(), entry.getValue().checkpoint());
      } else {
        break;
      }
    }
    Set<DeviceFeed> due = Set.copyOf(checkpoints.keySet());
    steps.stream().filter(step -> due.contains(step.feed()) || !step.raised().isEmpty())
      .forEach(step -> checkpoints.put(step.feed(), step.checkpoint()));
    fold(steps).onComplete(folded -> {
      if (folded.failed()) {
        long delay = retries.next();
        log.warn("sensor readings not folded yet, retrying [devices: {}, in: {} ms, error: {}]", steps.size(), delay,
          folded.cause().getMessage());
        steps.forEach(step -> dirty.add(step.feed()));
        ended(delay);
        return;
      }
      // the aggregates (queries read the buckets not written yet too) and the alerts hold the steps: applied, and
      // each step's checkpoint is one not written yet until the write below or a later one writes it
      long now = lastStart;
      for (DeviceFeed.Step step : steps) {
        step.feed().folded(step);
        unsaved.compute(step.feed(), (feed, before) -> new Unsaved(step.checkpoint(), before == null ? now : before.since()));
      }
      save(checkpoints).onComplete(saved -> {
        long delay = 0;
        if (saved.succeeded()) {
          retries.reset();
          checkpoints.keySet().forEach(unsaved::remove);
        } else {
          delay = retries.next();
          log.warn("sensor checkpoints not written yet, retrying [devices: {}, in: {} ms, error: {}]", checkpoints.size(),
            delay, saved.cause().getMessage());
        }
        ended(delay);
      });
    });
  }

  private void ended(long delay) {
    running = false;
    List.copyOf(settling).forEach(Promise::complete); // after the steps were applied and their checkpoints noted
    settling.clear();
    schedule(delay);
  }

  /** Folds the steps' readings into the aggregates (in memory) and stores the alerts they raised. */
  private Future<Void> fold(List<DeviceFeed.Step> steps) {
    Map<String, List<Aggregates.Reading>> readings = new LinkedHashMap<>();
    steps.forEach(step -> readings.put(step.feed().device, step.readings()));
    return aggregates.apply(readings)
      .compose(v -> Future.all(steps.stream().filter(step -> !step.raised().isEmpty())
        .map(step -> storage.request(StorageBus.APPEND, StorageBus.Append.of(new JsonArray(new ArrayList<>(step.raised())))))
        .toList()))
      .mapEmpty();
  }

  /** Writes these checkpoints, each once the buckets hold what it covers (its device's buckets first). */
  private Future<Void> save(Map<DeviceFeed, JsonObject> checkpoints) {
    if (checkpoints.isEmpty()) {
      return Future.succeededFuture();
    }
    return aggregates.write(checkpoints.keySet().stream().map(feed -> feed.device).toList())
      .compose(v -> storage.putAll(DeviceFeed.COLLECTION, new ArrayList<>(checkpoints.values())));
  }
}
