package io.hubbub.sensors;

import io.hubbub.conf.HubbubConf;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Aggregate folding against a brute-force computation, through store failures, cache evictions, crashes with buckets
 * not written and replays.
 */
class AggregatesTest {

  private static final long T0 = Instant.parse("2026-11-30T22:00:00Z").toEpochMilli();
  private static final List<String> KINDS = List.of("temperature", "humidity");

  private static JsonObject reading(long seq, String kind, double value, long at) {
    return new JsonObject().put("seq", seq).put("type", "READING")
      .put("data", new JsonObject().put("kind", kind).put("value", value).put("at", Instant.ofEpochMilli(at).toString()));
  }

  /** count, sum, min, max per bucket, computed the obvious way. */
  private static Map<String, double[]> bruteForce(List<JsonObject> readings, String kind, long width) {
    Map<String, double[]> buckets = new TreeMap<>();
    for (JsonObject r : readings) {
      JsonObject d = r.getJsonObject("data");
      if (!d.getString("kind").equals(kind)) {
        continue;
      }
      long at = Instant.parse(d.getString("at")).toEpochMilli();
      String start = Instant.ofEpochMilli(Math.floorDiv(at, width) * width).toString();
      double v = d.getDouble("value");
      double[] b = buckets.computeIfAbsent(start, s -> new double[] {0, 0, Double.MAX_VALUE, -Double.MAX_VALUE});
      b[0]++;
      b[1] += v;
      b[2] = Math.min(b[2], v);
      b[3] = Math.max(b[3], v);
    }
    return buckets;
  }

  private static Map<String, double[]> queried(Aggregates aggregates, String kind, String window) {
    Future<JsonObject> answer = aggregates.query("dev", kind, window, T0 - 86_400_000L, T0 + 86_400_000L);
    assertTrue(answer.succeeded(), () -> "query failed: " + answer.cause());
    Map<String, double[]> buckets = new TreeMap<>();
    for (Object o : answer.result().getJsonArray("buckets")) {
      JsonObject b = (JsonObject) o;
      long count = b.getLong("count");
      buckets.put(b.getString("start"), new double[] {count, b.getDouble("avg") * count, b.getDouble("min"), b.getDouble("max")});
    }
    return buckets;
  }

  private static void assertSame(Map<String, double[]> expected, Map<String, double[]> actual, String what) {
    assertEquals(expected.keySet(), actual.keySet(), what + ": buckets");
    expected.forEach((start, e) -> {
      double[] a = actual.get(start);
      assertEquals(e[0], a[0], what + " count at " + start);
      assertEquals(e[1], a[1], 1e-6 * Math.max(1, Math.abs(e[1])), what + " sum at " + start);
      assertEquals(e[2], a[2], what + " min at " + start);
      assertEquals(e[3], a[3], what + " max at " + start);
    });
  }

  /**
   * Folds one page and writes the device's buckets as a fold due for a checkpoint does: again and again until both
   * are done (the checkpoint moves only then).
   */
  private static void applyUntilWritten(Aggregates aggregates, List<JsonObject> page) {
    for (int attempt = 0; attempt < 200; attempt++) {
      Future<Void> done = aggregates.apply("dev", page).compose(v -> aggregates.write(List.of("dev")));
      assertTrue(done.isComplete(), "the fake answers at once");
      if (done.succeeded()) {
        return;
      }
    }
    throw new AssertionError("a page never got written");
  }

  @Test
  void idsPadTheStartToThirteenDigits() {
    for (long start : new long[] {0, 7, 60_000, 999_999_999_999L, 1_000_000_000_000L, T0, 99_999_999_999_999L, -60_000}) {
      assertEquals("d|k|1m|" + String.format(Locale.ROOT, "%013d", start), Aggregates.id("d", "k", "1m", start));
    }
  }

  @Test
  void onlyReadingsAsTheIngestPathWritesThemAreFolded() {
    assertEquals(new Aggregates.Reading(4, "temperature", 20.5, T0 + 1), Aggregates.Reading.of(reading(4, "temperature", 20.5, T0 + 1)));
    assertNull(Aggregates.Reading.of(reading(4, "temperature", 20.5, T0).put("type", "NOTE")));
    assertNull(Aggregates.Reading.of(reading(4, "Temperature!", 20.5, T0)));
    assertNull(Aggregates.Reading.of(reading(4, "temperature", 20.5, T0).put("seq", "4")));
    assertNull(Aggregates.Reading.of(reading(4, "temperature", 20.5, T0).put("data", "hot")));
    JsonObject event = reading(4, "temperature", 20.5, T0);
    event.getJsonObject("data").put("value", "20.5");
    assertNull(Aggregates.Reading.of(event));
    event.getJsonObject("data").put("value", 20.5).put("at", "yesterday");
    assertNull(Aggregates.Reading.of(event));
  }

  @Test
  void foldTakesEachSeqOnce() {
    JsonObject bucket = new JsonObject().put("count", 0L).put("sum", 0.0).put("min", Double.MAX_VALUE)
      .put("max", -Double.MAX_VALUE).put("seq", 0L);
    assertTrue(Aggregates.fold(bucket, 1, 4.0));
    assertTrue(Aggregates.fold(bucket, 3, -2.0));
    assertFalse(Aggregates.fold(bucket, 3, 100.0), "a seq the bucket holds");
    assertFalse(Aggregates.fold(bucket, 2, 100.0), "a seq before the bucket's last");
    assertEquals(new JsonObject().put("count", 2L).put("sum", 2.0).put("min", -2.0).put("max", 4.0).put("seq", 3L), bucket);
  }

  @Test
  void storeFailuresEvictionsAndReplaysGiveTheBruteForceAnswer() {
    for (long seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      FakeDocs store = new FakeDocs(seed).failing(0.2);
      Aggregates aggregates = new Aggregates(store, 1 + random.nextInt(8), HubbubConf.SensorRetention.FOREVER, System::currentTimeMillis); // a small cache: evictions all the time
      List<JsonObject> readings = new ArrayList<>();
      long seq = 0;
      int checkpoint = 0; // readings applied and checkpointed
      for (int page = 0; page < 30; page++) {
        List<JsonObject> batch = new ArrayList<>();
        for (int i = random.nextInt(40); i >= 0; i--) {
          // times jump around within four hours: out of order, across many 1m and a few 1h buckets
          long at = T0 + random.nextInt(4 * 3_600) * 1_000L;
          batch.add(reading(++seq, KINDS.get(random.nextInt(2)), Math.round(random.nextGaussian() * 1000) / 10.0, at));
        }
        readings.addAll(batch);
        if (random.nextInt(4) == 0) {
          // a crash before the checkpoint, the page folded in memory (or not: a failed read) and its buckets written,
          // in part or not at all: a new instance replays from the last checkpoint
          Future<Void> folded = aggregates.apply("dev", batch);
          if (folded.succeeded() && random.nextBoolean()) {
            var unused = aggregates.write(List.of("dev"));
          }
          aggregates = new Aggregates(store, 1 + random.nextInt(8), HubbubConf.SensorRetention.FOREVER, System::currentTimeMillis);
          applyUntilWritten(aggregates, readings.subList(checkpoint, readings.size()));
        } else {
          applyUntilWritten(aggregates, batch);
        }
        checkpoint = readings.size();
      }
      assertTrue(store.failures > 5, "failures were injected: " + store.failures);
      store.failing(0);
      Aggregates restarted = new Aggregates(store, 8, HubbubConf.SensorRetention.FOREVER, System::currentTimeMillis);
      for (String kind : KINDS) {
        for (Map.Entry<String, Long> window : io.hubbub.bus.SensorsBus.WINDOWS.entrySet()) {
          assertSame(bruteForce(readings, kind, window.getValue()), queried(aggregates, kind, window.getKey()),
            "seed " + seed + ", " + kind + " " + window.getKey());
          assertSame(bruteForce(readings, kind, window.getValue()), queried(restarted, kind, window.getKey()),
            "seed " + seed + ", " + kind + " " + window.getKey() + ", as stored");
        }
      }
    }
  }

  @Test
  void aFailedReadOrWriteLeavesNothingBehindForTheRetryToSkip() {
    FakeDocs store = new FakeDocs(7);
    List<JsonObject> page = List.of(reading(1, "temperature", 20.0, T0), reading(2, "temperature", 22.0, T0 + 1_000));
    applyUntilWritten(new Aggregates(store, HubbubConf.SensorRetention.FOREVER), page.subList(0, 1));
    Aggregates aggregates = new Aggregates(store, HubbubConf.SensorRetention.FOREVER); // a restart: it reads the buckets
    store.failing(1.0); // every call fails, puts before or after writing
    for (int i = 0; i < 5; i++) {
      assertTrue(aggregates.apply("dev", page.subList(1, 2)).failed(), "the buckets could not be read");
    }
    store.failing(0);
    assertTrue(aggregates.apply("dev", page.subList(1, 2)).succeeded());
    store.failing(1.0);
    for (int i = 0; i < 5; i++) {
      assertTrue(aggregates.write(List.of("dev")).failed());
    }
    store.failing(0);
    applyUntilWritten(aggregates, page.subList(1, 2)); // the retry: seq 2 is held already, the buckets still to write
    for (Aggregates reader : List.of(aggregates, new Aggregates(store, HubbubConf.SensorRetention.FOREVER))) {
      JsonArray buckets = reader.query("dev", "temperature", "1m", T0, T0).result().getJsonArray("buckets");
      assertEquals(2L, buckets.getJsonObject(0).getLong("count"));
      assertEquals(21.0, buckets.getJsonObject(0).getDouble("avg"));
    }
  }

  @Test
  void bucketsAreWrittenOnlyWhenAskedAndQueriesSeeThemBefore() {
    FakeDocs store = new FakeDocs(3);
    Aggregates aggregates = new Aggregates(store, HubbubConf.SensorRetention.FOREVER);
    assertTrue(aggregates.apply("dev", List.of(reading(1, "temperature", 20.0, T0), reading(2, "temperature", 24.0, T0 + 90_000)))
      .succeeded());
    assertTrue(store.collections.getOrDefault(Aggregates.COLLECTION, Map.of()).isEmpty(), "nothing written by the fold");
    JsonArray minutes = aggregates.query("dev", "temperature", "1m", T0, T0 + 120_000).result().getJsonArray("buckets");
    assertEquals(2, minutes.size(), "the owner's query sees what it folded: " + minutes);
    assertEquals(22.0, aggregates.query("dev", "temperature", "1h", T0, T0).result().getJsonArray("buckets")
      .getJsonObject(0).getDouble("avg"));
    assertTrue(aggregates.query("dev", "humidity", "1m", T0, T0 + 120_000).result().getJsonArray("buckets").isEmpty(),
      "another kind's buckets are not laid over");
    assertTrue(aggregates.query("dev", "temperature", "1m", T0 + 60_000, T0 + 120_000).result().getJsonArray("buckets")
      .size() == 1, "nor those out of the range");
    assertTrue(aggregates.write(List.of("other")).succeeded());
    assertTrue(store.collections.getOrDefault(Aggregates.COLLECTION, Map.of()).isEmpty(), "another device's write");
    assertTrue(aggregates.write(List.of("dev")).succeeded());
    assertEquals(3, store.collections.get(Aggregates.COLLECTION).size(), "two minutes and an hour");
    store.collections.get(Aggregates.COLLECTION).clear();
    assertTrue(aggregates.write(List.of("dev")).succeeded());
    assertTrue(store.collections.get(Aggregates.COLLECTION).isEmpty(), "written once: nothing left to write");
  }

  @Test
  void aBucketPastItsRetentionByTheTimeOfItsWriteIsDropped() {
    FakeDocs store = new FakeDocs(5);
    long[] now = {T0 + 30_000};
    Aggregates aggregates = new Aggregates(store, 100, new HubbubConf.SensorRetention(120, 86_400, 60), () -> now[0]);
    assertTrue(aggregates.apply("dev", List.of(reading(1, "temperature", 20.0, T0))).succeeded());
    now[0] = T0 + 200_000; // the minute's bucket is past its 120 s now, the hour's is not
    assertTrue(aggregates.write(List.of("dev")).succeeded());
    assertEquals(List.of(Aggregates.id("dev", "temperature", "1h", T0)),
      List.copyOf(store.collections.get(Aggregates.COLLECTION).keySet()));
    store.collections.get(Aggregates.COLLECTION).clear();
    assertTrue(aggregates.write(List.of("dev")).succeeded());
    assertTrue(store.collections.get(Aggregates.COLLECTION).isEmpty(), "the dropped one is not kept to be written");
  }
}
