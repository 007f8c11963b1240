package io.hubbub.sensors;

import io.hubbub.Backoff;
import io.hubbub.bus.Readings;
import io.hubbub.bus.SensorsBus;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageRequests;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Follows one device's stream from its checkpoint: reads pages of stored events in seq order, folds
 * the readings into the aggregates, raises and resolves alerts, then writes the checkpoint
 * ({@code sensors} collection: {@code {_id: device, lastSeq, alerts, last}}). A live event only pokes it to
 * read again, so nothing is missed or taken twice, whatever arrives when; after a restart it resumes
 * from the checkpoint.
 */
final class DeviceFeed {

  static final String COLLECTION = "sensors";
  private static final Logger log = LoggerFactory.getLogger(DeviceFeed.class);
  private static final int PAGE = 1_000;

  final String device;
  private final Vertx vertx;
  private final StorageRequests storage;
  private final Aggregates aggregates;
  private final Alerts alerts;
  private final Backoff retries = new Backoff(250, 30_000);
  private long applied;
  private JsonObject alertState;
  private JsonObject last;
  private boolean running;
  private boolean again;
  private boolean stopped;

  DeviceFeed(Vertx vertx, String device, JsonObject checkpoint, StorageRequests storage,
             Aggregates aggregates, Alerts alerts) {
    this.vertx = vertx;
    this.device = device;
    this.storage = storage;
    this.aggregates = aggregates;
    this.alerts = alerts;
    this.applied = checkpoint.getLong("lastSeq", 0L);
    this.alertState = checkpoint.getJsonObject("alerts", new JsonObject());
    this.last = checkpoint.getJsonObject("last", new JsonObject());
  }

  /** Something was stored (or might have been): read on from the checkpoint. */
  void poke() {
    if (stopped) {
      return;
    }
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    next();
  }

  void stop() {
    stopped = true;
  }

  /** The kinds of reading this device has sent (those its latest readings hold). */
  Set<String> kinds() {
    return Set.copyOf(last.fieldNames());
  }

  JsonObject status() {
    return new JsonObject().put("deviceId", device).put("appliedSeq", applied).put("last", last.copy())
      .put("openAlerts", new JsonArray(alerts.open(alertState))).put("rules", new JsonArray(alerts.rulesFor(last.fieldNames())));
  }

  private void next() {
    storage.request(StorageBus.READ, new StorageBus.Read(SensorsBus.stream(device), applied + 1, PAGE))
      .compose(page -> {
        JsonArray events = page.events();
        if (events.isEmpty() || stopped) {
          return Future.succeededFuture(false);
        }
        return apply(events).map(v -> true);
      })
      .onSuccess(more -> {
        retries.reset();
        if (more || again) {
          again = false;
          next();
        } else {
          running = false;
        }
      })
      .onFailure(failure -> {
        long delay = retries.next();
        log.warn("sensor feed paused, retrying [device: {}, in: {} ms, error: {}]", device, delay, failure.getMessage());
        vertx.setTimer(delay, t -> next());
      });
  }

  private Future<Void> apply(JsonArray page) {
    List<JsonObject> readings = new ArrayList<>();
    JsonObject state = alertState.copy();
    JsonObject latest = last.copy();
    JsonArray raised = new JsonArray();
    long lastSeq = applied;
    for (int i = 0; i < page.size(); i++) {
      JsonObject event = page.getJsonObject(i);
      lastSeq = event.getLong("seq");
      if (!SensorsBus.READING.equals(event.getString("type")) || !isReading(event.getJsonObject("data"))) {
        continue; // a device may publish other events to its stream: they are not readings
      }
      readings.add(event);
      JsonObject data = event.getJsonObject("data");
      long at = Instant.parse(data.getString("at")).toEpochMilli();
      String kind = data.getString("kind");
      JsonObject previous = latest.getJsonObject(kind);
      if (previous == null || at >= Instant.parse(previous.getString("at")).toEpochMilli()) {
        latest.put(kind, data.copy().put("seq", event.getLong("seq")));
      }
      alerts.evaluate(state, device, event.getLong("seq"), kind, data.getDouble("value"), at).forEach(raised::add);
    }
    long through = lastSeq;
    Future<?> alertsStored = raised.isEmpty() ? Future.succeededFuture()
      : storage.request(StorageBus.APPEND, StorageBus.Append.of(raised));
    return aggregates.apply(device, readings)
      .compose(v -> alertsStored)
      .compose(v -> storage.request(StorageBus.DOC_PUT, StorageBus.docPut(COLLECTION, new JsonArray().add(new JsonObject()
        .put("_id", device).put("lastSeq", through).put("alerts", state).put("last", latest)))))
      .map(v -> {
        applied = through;
        alertState = state;
        last = latest;
        return null;
      });
  }

  /** A READING as the ingest path writes it; anything else in the stream is skipped. */
  private static boolean isReading(JsonObject data) {
    try {
      return data != null && data.getValue("kind") instanceof String kind && Readings.KIND.matcher(kind).matches()
        && data.getValue("value") instanceof Number && data.getValue("at") instanceof String at && Instant.parse(at) != null;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
