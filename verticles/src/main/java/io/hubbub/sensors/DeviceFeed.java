package io.hubbub.sensors;

import io.hubbub.Backoff;
import io.hubbub.bus.SensorsBus;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageRequests;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Follows one device's stream from its checkpoint: takes its stored events in seq order — as the live address
 * delivers them when each is the next, else by reading pages from storage — and hands them to {@link Folding}, which
 * folds the readings into the aggregates, raises and resolves alerts and writes the checkpoint ({@code sensors}
 * collection: {@code {_id: device, lastSeq, alerts, last}}) for many devices at once. Nothing is missed or taken
 * twice, whatever arrives when; after a restart it resumes from the checkpoint.
 */
final class DeviceFeed {

  static final String COLLECTION = "sensors";
  private static final Logger log = LoggerFactory.getLogger(DeviceFeed.class);
  /** Events read from storage at once, and held waiting for a fold at most (past it, reading waits for the fold). */
  static final int PAGE = 1_000;

  final String device;
  private final Vertx vertx;
  private final StorageRequests storage;
  private final Alerts alerts;
  private final Folding folding;
  private final Backoff retries = new Backoff(250, 30_000);
  /** Folded through this seq: the aggregates (in memory at least) and the alerts stored hold it. */
  private long applied;
  /** Taken through this seq: {@link #pending} holds applied + 1 to it. */
  private long taken;
  private final ArrayDeque<JsonObject> pending = new ArrayDeque<>();
  private JsonObject alertState;
  private JsonObject last;
  /** The time of each kind's reading in {@link #last}, parsed (filled as kinds are met). */
  private Map<String, Long> lastAt = Map.of();
  private boolean reading;
  private boolean again;
  private boolean stopped;

  /** One fold of this feed's pending events: what it computed from them, applied once the fold holds them. */
  record Step(DeviceFeed feed, int count, long through, List<Aggregates.Reading> readings, List<JsonObject> raised,
              JsonObject alertState, JsonObject last, Map<String, Long> lastAt) {

    JsonObject checkpoint() {
      return new JsonObject().put("_id", feed.device).put("lastSeq", through).put("alerts", alertState).put("last", last);
    }
  }

  DeviceFeed(Vertx vertx, String device, JsonObject checkpoint, StorageRequests storage, Alerts alerts, Folding folding) {
    this.vertx = vertx;
    this.device = device;
    this.storage = storage;
    this.alerts = alerts;
    this.folding = folding;
    this.applied = checkpoint.getLong("lastSeq", 0L);
    this.taken = applied;
    this.alertState = checkpoint.getJsonObject("alerts", new JsonObject());
    this.last = checkpoint.getJsonObject("last", new JsonObject());
  }

  /** An event the live address delivered: taken when it is the next one, else storage is read from the last taken. */
  void offer(Object message) {
    if (stopped) {
      return;
    }
    if (message instanceof JsonObject event && event.getValue("seq") instanceof Number seq && seq.longValue() <= taken) {
      return; // taken already
    }
    if (!reading && pending.size() < PAGE && message instanceof JsonObject event && event.getValue("seq") instanceof Number seq
        && seq.longValue() == taken + 1) {
      take(event);
      folding.dirty(this);
    } else {
      poke();
    }
  }

  /** Something was stored (or might have been): read on from the last event taken. */
  void poke() {
    if (stopped) {
      return;
    }
    if (reading || pending.size() >= PAGE) {
      again = true; // read once the read in flight, or the fold, is done
      return;
    }
    reading = true;
    again = false;
    storage.request(StorageBus.READ, new StorageBus.Read(SensorsBus.stream(device), taken + 1, PAGE))
      .onSuccess(page -> {
        retries.reset();
        reading = false;
        int before = pending.size();
        JsonArray events = page.events(); // decoded once
        for (Object e : events) {
          JsonObject event = (JsonObject) e;
          if (event.getLong("seq") == taken + 1) {
            take(event);
          }
        }
        if (pending.size() > before) {
          folding.dirty(this);
        }
        if (events.size() >= PAGE || again) {
          poke();
        }
      })
      .onFailure(failure -> {
        long delay = retries.next();
        log.warn("sensor feed paused, retrying [device: {}, in: {} ms, error: {}]", device, delay, failure.getMessage());
        vertx.setTimer(delay, t -> {
          reading = false;
          poke();
        });
      });
  }

  private void take(JsonObject event) {
    pending.add(event);
    taken = event.getLong("seq");
  }

  void stop() {
    stopped = true;
  }

  boolean stopped() {
    return stopped;
  }

  /** The kinds of reading this device has sent (those its latest readings hold). */
  Set<String> kinds() {
    return Set.copyOf(last.fieldNames());
  }

  JsonObject status() {
    return new JsonObject().put("deviceId", device).put("appliedSeq", applied).put("last", last.copy())
      .put("openAlerts", new JsonArray(alerts.open(alertState))).put("rules", new JsonArray(alerts.rulesFor(last.fieldNames())));
  }

  /**
   * What folding the pending events gives, worked out on copies (null when nothing is pending). Shallow ones: an entry
   * of the alert state or of the latest readings is replaced, never changed in place, since the checkpoint that holds
   * it may be on its way to the store.
   */
  Step step() {
    if (pending.isEmpty()) {
      return null;
    }
    List<Aggregates.Reading> readings = new ArrayList<>();
    JsonObject state = new JsonObject(new LinkedHashMap<>(alertState.getMap()));
    JsonObject latest = new JsonObject(new LinkedHashMap<>(last.getMap()));
    Map<String, Long> latestAt = new HashMap<>(lastAt);
    List<JsonObject> raised = new ArrayList<>();
    long through = applied;
    for (JsonObject event : pending) {
      through = event.getLong("seq");
      Aggregates.Reading reading = Aggregates.Reading.of(event);
      if (reading == null) {
        continue; // a device may publish other events to its stream: they are not readings
      }
      readings.add(reading);
      String kind = reading.kind();
      Long previous = latestAt.computeIfAbsent(kind, k -> latest.getValue(k) instanceof JsonObject was ? timeOf(was) : null);
      if (previous == null || reading.at() >= previous) {
        latest.put(kind, event.getJsonObject("data").copy().put("seq", reading.seq()));
        latestAt.put(kind, reading.at());
      }
      raised.addAll(alerts.evaluate(state, device, reading.seq(), kind, reading.value(), reading.at()));
    }
    return new Step(this, pending.size(), through, readings, raised, state, latest, latestAt);
  }

  /** The aggregates and the stored alerts hold the step: its events are applied. */
  void folded(Step step) {
    for (int i = 0; i < step.count(); i++) {
      pending.poll();
    }
    applied = step.through();
    alertState = step.alertState();
    last = step.last();
    lastAt = step.lastAt();
    if (again && !reading) {
      poke();
    }
  }

  /** The time of a latest reading as a checkpoint holds it; null when it has none that parses (read by an older version). */
  private static Long timeOf(JsonObject reading) {
    try {
      return reading.getValue("at") instanceof String at ? Instant.parse(at).toEpochMilli() : null;
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
