package io.hubbub.sensors;

import io.hubbub.bus.SensorsBus;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Device feeds folded together ({@link DeviceFeed}, {@link Folding}) against storage that fails at random: events
 * offered live are dropped, repeated and sent out of order, feeds restart from their stored checkpoints as after a
 * crash, and in the end every device's aggregates equal a brute-force count of its readings and its alerts stream
 * holds exactly the alerts one pass over its readings raises.
 */
class FoldingTest {

  private static final long T0 = Instant.parse("2026-12-01T22:00:00Z").toEpochMilli();
  private static final int DEVICES = 6;
  private final Vertx vertx = Vertx.vertx();
  private final Context context = vertx.getOrCreateContext();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** The feeds and their folding, as one sensors instance holds them (all on one Vert.x context). */
  private final class Instance {
    final Alerts alerts = new Alerts(List.of(new HubbubConf.AlertRule("temperature", 30.0, null, 0, 1.0)));
    final Aggregates aggregates;
    final Folding folding;
    final Map<String, DeviceFeed> feeds = new HashMap<>();

    Instance(FakeDocs store) {
      aggregates = new Aggregates(store, 16, HubbubConf.SensorRetention.FOREVER, System::currentTimeMillis);
      folding = new Folding(vertx, store, aggregates, 0);
      for (int d = 0; d < DEVICES; d++) {
        String device = "dev" + d;
        JsonObject checkpoint = store.collections.getOrDefault(DeviceFeed.COLLECTION, Map.of()).getOrDefault(device, new JsonObject());
        DeviceFeed feed = new DeviceFeed(vertx, device, checkpoint.copy(), store, alerts, folding);
        feeds.put(device, feed);
        feed.poke();
      }
    }

    void stop() {
      feeds.values().forEach(DeviceFeed::stop);
      folding.close();
    }
  }

  @Test
  void feedsFoldedTogetherCountEveryReadingOnceThroughFailuresDropsAndRestarts() throws Exception {
    for (long seed = 1; seed <= 3; seed++) {
      Random random = new Random(seed);
      FakeDocs store = new FakeDocs(seed).failing(0.1);
      Map<String, List<JsonObject>> readings = new TreeMap<>();
      Instance[] instance = {on(() -> new Instance(store))};
      for (int step = 0; step < 500; step++) {
        String device = "dev" + random.nextInt(DEVICES);
        String stream = SensorsBus.stream(device);
        List<JsonObject> events = store.streams.computeIfAbsent(stream, s -> new ArrayList<>());
        JsonObject event = reading(events.size() + 1L, random.nextBoolean() ? "temperature" : "humidity",
          Math.round((25 + random.nextGaussian() * 6) * 10) / 10.0, T0 + random.nextInt(3 * 3_600) * 1_000L);
        if (random.nextInt(20) == 0) {
          event.put("type", "NOTE"); // not a reading: taken, skipped by the fold
        }
        events.add(event);
        readings.computeIfAbsent(device, d -> new ArrayList<>()).add(event);
        int fate = random.nextInt(10);
        Instance now = instance[0];
        if (fate < 6) {
          on(() -> offer(now, device, event));
        } else if (fate == 6 && events.size() > 1) {
          on(() -> offer(now, device, events.get(random.nextInt(events.size() - 1)))); // an old one again
          on(() -> offer(now, device, event));
        } else if (fate == 7) {
          on(() -> offer(now, device, new JsonObject().put("seq", event.getLong("seq") + 3))); // ahead: a gap, read
        } // else: the live message is lost
        if (random.nextInt(150) == 0) { // a crash: a new instance from the stored checkpoints
          on(() -> {
            now.stop();
            return null;
          });
          instance[0] = on(() -> new Instance(store));
        }
        if (random.nextInt(25) == 0) {
          Thread.sleep(random.nextInt(5));
        }
      }
      store.failing(0);
      Instance last = instance[0];
      on(() -> {
        last.feeds.values().forEach(DeviceFeed::poke); // the messages lost: read from storage
        return null;
      });
      long deadline = System.currentTimeMillis() + 30_000;
      while (!caughtUp(last, store) && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(caughtUp(last, store), "seed " + seed + ": every feed applied its stream");
      assertTrue(store.failures > 3, "failures were injected: " + store.failures);
      for (Map.Entry<String, List<JsonObject>> device : readings.entrySet()) {
        List<JsonObject> theirs = device.getValue().stream().filter(e -> "READING".equals(e.getString("type"))).toList();
        for (String kind : List.of("temperature", "humidity")) {
          for (Map.Entry<String, Long> window : SensorsBus.WINDOWS.entrySet()) {
            assertEquals(bruteForce(theirs, kind, window.getValue()),
              on(() -> queried(last.aggregates, device.getKey(), kind, window.getKey())),
              "seed " + seed + ", " + device.getKey() + " " + kind + " " + window.getKey());
          }
        }
        assertEquals(expectedAlerts(device.getKey(), theirs), storedAlerts(store, device.getKey()),
          "seed " + seed + ", " + device.getKey() + ": alerts raised once each");
      }
      // handed over as a partition is given up: the feeds stop, then what they folded is written, buckets and checkpoints
      on(() -> {
        last.feeds.values().forEach(DeviceFeed::stop);
        return last.folding.settled().compose(v -> last.folding.flush(last.feeds.values()));
      }).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Aggregates stored = new Aggregates(store, 16, HubbubConf.SensorRetention.FOREVER, System::currentTimeMillis);
      for (Map.Entry<String, List<JsonObject>> device : readings.entrySet()) {
        List<JsonObject> theirs = device.getValue().stream().filter(e -> "READING".equals(e.getString("type"))).toList();
        assertEquals(device.getValue().size(), store.collections.get(DeviceFeed.COLLECTION).get(device.getKey()).getLong("lastSeq"),
          "seed " + seed + ", " + device.getKey() + ": its checkpoint written");
        for (String kind : List.of("temperature", "humidity")) {
          for (Map.Entry<String, Long> window : SensorsBus.WINDOWS.entrySet()) {
            assertEquals(bruteForce(theirs, kind, window.getValue()), on(() -> queried(stored, device.getKey(), kind, window.getKey())),
              "seed " + seed + ", " + device.getKey() + " " + kind + " " + window.getKey() + ", as stored");
          }
        }
      }
      on(() -> {
        last.stop();
        return null;
      });
    }
  }

  @Test
  void readingsAreAppliedOnceFoldedAndTheirCheckpointWrittenWhenTheStoreTakesIt() throws Exception {
    FakeDocs store = new FakeDocs(1).refusingPuts(DeviceFeed.COLLECTION);
    Instance instance = on(() -> new Instance(store));
    String device = "dev0";
    List<JsonObject> events = store.streams.computeIfAbsent(SensorsBus.stream(device), s -> new ArrayList<>());
    for (int i = 1; i <= 3; i++) { // 35 °C: the first raises an alert, so its fold writes the checkpoint at once
      JsonObject event = reading(i, "temperature", 35, T0 + i * 1_000L);
      events.add(event);
      on(() -> offer(instance, device, event));
    }
    long deadline = System.currentTimeMillis() + 10_000;
    while (!caughtUp(instance, store) && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(caughtUp(instance, store), "applied while its checkpoint cannot be written");
    assertEquals(List.of(3.0, 105.0, 35.0, 35.0), on(() -> queried(instance.aggregates, device, "temperature", "1h"))
      .values().iterator().next(), "the aggregates hold the readings");
    assertEquals(1, storedAlerts(store, device).size(), "the alert is stored");
    assertTrue(store.failures > 0);
    assertTrue(!store.collections.getOrDefault(DeviceFeed.COLLECTION, Map.of()).containsKey(device), "no checkpoint yet");
    store.refusingPuts(null);
    deadline = System.currentTimeMillis() + 20_000;
    while (on(() -> store.collections.getOrDefault(DeviceFeed.COLLECTION, Map.of()).getOrDefault(device, new JsonObject())
      .getLong("lastSeq", 0L)) != 3 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(3L, on(() -> store.collections.get(DeviceFeed.COLLECTION).get(device).getLong("lastSeq")),
      "the checkpoint not written stays to be written, and is");
    on(() -> {
      instance.stop();
      return null;
    });
  }

  private static Object offer(Instance instance, String device, JsonObject event) {
    instance.feeds.get(device).offer(event.copy().put("stream", SensorsBus.stream(device)));
    return null;
  }

  private boolean caughtUp(Instance instance, FakeDocs store) throws Exception {
    return on(() -> instance.feeds.values().stream().allMatch(feed -> feed.status().getLong("appliedSeq")
      == store.streams.getOrDefault(SensorsBus.stream(feed.device), List.of()).size()));
  }

  private static JsonObject reading(long seq, String kind, double value, long at) {
    return new JsonObject().put("seq", seq).put("id", "r" + seq).put("type", "READING")
      .put("data", new JsonObject().put("kind", kind).put("value", value).put("at", Instant.ofEpochMilli(at).toString()));
  }

  /** count, sum (rounded), min, max per bucket start. */
  private static Map<String, List<Double>> bruteForce(List<JsonObject> readings, String kind, long width) {
    Map<String, double[]> buckets = new TreeMap<>();
    for (JsonObject r : readings) {
      JsonObject d = r.getJsonObject("data");
      if (d.getString("kind").equals(kind)) {
        long at = Instant.parse(d.getString("at")).toEpochMilli();
        double v = d.getDouble("value");
        double[] b = buckets.computeIfAbsent(Instant.ofEpochMilli(Math.floorDiv(at, width) * width).toString(),
          s -> new double[] {0, 0, Double.MAX_VALUE, -Double.MAX_VALUE});
        b[0]++;
        b[1] += v;
        b[2] = Math.min(b[2], v);
        b[3] = Math.max(b[3], v);
      }
    }
    Map<String, List<Double>> rounded = new TreeMap<>();
    buckets.forEach((start, b) -> rounded.put(start, List.of(b[0], Math.round(b[1] * 1e6) / 1e6, b[2], b[3])));
    return rounded;
  }

  private static Map<String, List<Double>> queried(Aggregates aggregates, String device, String kind, String window) {
    JsonObject answer = aggregates.query(device, kind, window, T0 - 86_400_000L, T0 + 86_400_000L).result();
    Map<String, List<Double>> buckets = new TreeMap<>();
    for (Object o : answer.getJsonArray("buckets")) {
      JsonObject b = (JsonObject) o;
      double count = b.getLong("count");
      buckets.put(b.getString("start"), List.of(count, Math.round(b.getDouble("avg") * count * 1e6) / 1e6, b.getDouble("min"),
        b.getDouble("max")));
    }
    return buckets;
  }

  private static Set<String> expectedAlerts(String device, List<JsonObject> readings) {
    Alerts alerts = new Alerts(List.of(new HubbubConf.AlertRule("temperature", 30.0, null, 0, 1.0)));
    JsonObject state = new JsonObject();
    Set<String> ids = new TreeSet<>();
    for (JsonObject r : readings) {
      JsonObject d = r.getJsonObject("data");
      alerts.evaluate(state, device, r.getLong("seq"), d.getString("kind"), d.getDouble("value"),
        Instant.parse(d.getString("at")).toEpochMilli()).forEach(e -> ids.add(e.getString("id")));
    }
    return ids;
  }

  private static Set<String> storedAlerts(FakeDocs store, String device) {
    return store.streams.entrySet().stream().filter(s -> s.getKey().startsWith("alerts."))
      .flatMap(s -> s.getValue().stream()).filter(e -> device.equals(e.getJsonObject("data").getString("deviceId")))
      .map(e -> e.getString("id")).collect(Collectors.toCollection(TreeSet::new));
  }

  /** Runs on the instance's context (the feeds and folding are single-threaded, as in their verticle). */
  private <T> T on(Callable<T> work) throws Exception {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        done.complete(work.call());
      } catch (Exception e) {
        done.completeExceptionally(e);
      }
    });
    return done.get(30, TimeUnit.SECONDS);
  }
}
