package io.hubbub.bench;

import io.hubbub.client.HubbubHttp;
import io.hubbub.embedded.EmbeddedStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Sensor ingest: readings per second posted by 10 devices over HTTP in batches of 100 and of 1,000 (each
 * device one batch at a time, retrying a 503 with the same ids), beside the store's raw journaled
 * bulk-insert rate of the same documents (same keys and indexes as the events collection), in the same run; then the aggregates query time for one device
 * holding {@code readings} readings (default 1,000,000, spread one per second). Hubbub runs from its jar in its own
 * process, with its embedded store inside, as deployed; the raw rate is measured in that store, over the wire.
 *
 * <pre>java -jar bench/target/hubbub-bench.jar sensors [seconds=10] [warmup=20] [readings=1000000]</pre>
 */
public final class SensorBench {

  private static final int DEVICES = 10;

  private final Vertx vertx;
  private final int seconds;
  private final int warmup;
  private final AtomicLong retries = new AtomicLong();

  private SensorBench(Vertx vertx, int seconds, int warmup) {
    this.vertx = vertx;
    this.seconds = seconds;
    this.warmup = warmup;
  }

  static void run(int seconds, int warmup, int readings) throws Exception {
    Path dir = Files.createTempDirectory("hubbub-sensor-bench");
    Vertx vertx = Vertx.vertx();
    try {
      new SensorBench(vertx, seconds, warmup).run(dir, readings);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
      BenchStore.deleteTree(dir);
    }
  }

  private void run(Path dir, int bigDevice) throws Exception {
    System.out.printf("hubbub sensor benchmark: %d s per scenario after %d s of warm-up, %d devices, the jar as deployed"
      + " (embedded store inside)%n", seconds, warmup, DEVICES);
    Path data = dir.resolve("data");
    JsonObject conf = new JsonObject(Files.readString(Path.of("conf", "hubbub.json")));
    conf.getJsonObject("http").put("port", 0);
    conf.getJsonObject("mongo").put("dataDir", data.toString());
    conf.getJsonObject("auth").put("passwordIterations", 1_000).put("adminPassword", "bench-admin-password");
    try (Server server = Server.hubbub(dir, conf, List.of("-Xmx1g"))) {
      int port = server.port();
      server.awaitStarted();
      measure(EmbeddedStore.runningUri(data), port, bigDevice);
    }
  }

  private void measure(String storeUri, int port, int bigDevice) throws Exception {
    raw(storeUri, "warmup", 1_000, 3);
    double rawBefore = raw(storeUri, "raw_before", 1_000, seconds);
    HubbubHttp http = HubbubHttp.create(vertx, "127.0.0.1", port, DEVICES * 2);
    String admin = call(http, HttpMethod.POST, "/api/sessions", null,
      new JsonObject().put("username", "admin").put("password", "bench-admin-password")).getString("token");
    List<String> keys = new ArrayList<>();
    for (int d = 0; d < DEVICES; d++) {
      keys.add(call(http, HttpMethod.POST, "/api/devices", admin, new JsonObject().put("deviceId", "bench-" + d)).getString("key"));
    }
    // warm-up: the server's JIT compiles ingest's path in the first seconds (a 3 s warm-up left the first measured
    // scenario paying for it: a third more CPU per reading than the batches measured after it)
    ingest(http, keys, 100, Math.max(1, warmup / 2));
    ingest(http, keys, 1_000, Math.max(1, warmup - warmup / 2));
    retries.set(0);
    double b100 = ingest(http, keys, 100, seconds);
    long retries100 = retries.getAndSet(0);
    double b1000 = ingest(http, keys, 1_000, seconds);
    long retries1000 = retries.getAndSet(0);
    double rawAfter = raw(storeUri, "raw_after", 1_000, seconds);
    double raw = Math.max(rawBefore, rawAfter);
    System.out.printf("%n%-58s %12s %8s%n", "scenario", "readings/s", "vs raw");
    System.out.printf("%-58s %,12.0f %8s%n", "store: raw journaled bulk insert of 1000, before", rawBefore, "");
    System.out.printf("%-58s %,12.0f %8s%n", "store: raw journaled bulk insert of 1000, after", rawAfter, "");
    System.out.printf("%-58s %,12.0f %7.0f%%  (%d batches retried after a 503)%n",
      "POST /api/sensors/{d}/readings, 10 devices, batches of 100", b100, 100 * b100 / raw, retries100);
    System.out.printf("%-58s %,12.0f %7.0f%%  (%d batches retried after a 503)%n",
      "POST /api/sensors/{d}/readings, 10 devices, batches of 1000", b1000, 100 * b1000 / raw, retries1000);

    if (bigDevice > 0) {
      aggregatesOfABigDevice(http, admin, bigDevice);
    }
    http.close().await(10, TimeUnit.SECONDS);
  }

  /** Each device posts one batch at a time, as fast as the acks come back. */
  private double ingest(HubbubHttp http, List<String> keys, int batch, int forSeconds) throws Exception {
    AtomicLong stored = new AtomicLong();
    long end = System.currentTimeMillis() + forSeconds * 1000L;
    long start = System.nanoTime();
    List<Future<Void>> loops = IntStream.range(0, keys.size())
      .mapToObj(d -> loop(http, "bench-" + d, keys.get(d), batch, end, stored)).toList();
    Future.all(loops).await(forSeconds + 120L, TimeUnit.SECONDS);
    return stored.get() / ((System.nanoTime() - start) / 1e9);
  }

  private Future<Void> loop(HubbubHttp http, String device, String key, int batch, long end, AtomicLong stored) {
    if (System.currentTimeMillis() >= end) {
      return Future.succeededFuture();
    }
    JsonArray readings = new JsonArray();
    long now = System.currentTimeMillis();
    String prefix = device + "-" + UUID.randomUUID() + "-";
    for (int i = 0; i < batch; i++) {
      readings.add(new JsonObject().put("kind", i % 2 == 0 ? "temperature" : "humidity").put("value", 20 + (i % 7))
        .put("unit", "C").put("at", Instant.ofEpochMilli(now - batch + i).toString()).put("id", prefix + i));
    }
    return deliver(http, "/api/sensors/" + device + "/readings", key, readings).compose(v -> {
      stored.addAndGet(batch);
      return loop(http, device, key, batch, end, stored);
    });
  }

  /** Posts until acknowledged: a 503 is retried with the same ids, as a device should (counted in {@link #retries}). */
  private Future<Void> deliver(HubbubHttp http, String path, String key, JsonArray readings) {
    return post(http, path, key, readings).recover(failure -> {
      if (!String.valueOf(failure.getMessage()).contains(": 503 ")) {
        return Future.failedFuture(failure);
      }
      retries.incrementAndGet();
      return deliver(http, path, key, readings);
    });
  }

  /** One device with {@code count} readings, one a second; then how long its aggregate queries take. */
  private void aggregatesOfABigDevice(HubbubHttp http, String admin, int count) throws Exception {
    String key = call(http, HttpMethod.POST, "/api/devices", admin, new JsonObject().put("deviceId", "big")).getString("key");
    Instant first = Instant.now().minusSeconds(count + 60L);
    long started = System.nanoTime();
    for (int sent = 0; sent < count; sent += 1_000) {
      JsonArray readings = new JsonArray();
      for (int i = sent; i < Math.min(count, sent + 1_000); i++) {
        readings.add(new JsonObject().put("kind", "temperature").put("value", 20 + Math.sin(i / 600.0) * 5)
          .put("at", first.plusSeconds(i).toString()));
      }
      for (int i = 0; i < readings.size(); i++) {
        readings.getJsonObject(i).put("id", "big-" + (sent + i));
      }
      deliver(http, "/api/sensors/big/readings", key, readings).await(600, TimeUnit.SECONDS);
    }
    System.out.printf("%nbig device: %,d readings stored in %.0f s%n", count, (System.nanoTime() - started) / 1e9);
    long lastSeq = call(http, HttpMethod.GET, "/api/streams/sensor.big", admin, null).getLong("lastSeq");
    int stalls = 0;
    while (true) {
      try {
        if (call(http, HttpMethod.GET, "/api/sensors/big", admin, null, 10).getLong("appliedSeq") >= lastSeq) {
          break;
        }
      } catch (java.util.concurrent.TimeoutException e) {
        stalls++; // noted below: a status request that got no answer within 10 s
      }
      Thread.sleep(500);
    }
    if (stalls > 0) {
      System.out.printf("big device: %d status requests got no answer within 10 s while it caught up%n", stalls);
    }
    System.out.printf("big device: aggregates caught up %.0f s after the first reading was sent%n", (System.nanoTime() - started) / 1e9);
    Instant last = first.plusSeconds(count);
    String[][] queries = {
      {"1m", last.minusSeconds(3_600).toString(), last.toString(), "the last hour in 1-minute buckets"},
      {"1m", last.minusSeconds(86_400).toString(), last.toString(), "the last day in 1-minute buckets"},
      {"1h", first.toString(), last.toString(), "everything in 1-hour buckets"},
    };
    for (String[] q : queries) {
      String path = "/api/sensors/big/aggregates?kind=temperature&window=" + q[0] + "&from=" + q[1] + "&to=" + q[2];
      Histogram micros = new Histogram(3);
      int buckets = 0;
      for (int i = 0; i < 25; i++) {
        long t = System.nanoTime();
        buckets = call(http, HttpMethod.GET, path, admin, null).getJsonArray("buckets").size();
        if (i >= 5) { // the first few warm up
          micros.recordValue((System.nanoTime() - t) / 1_000);
        }
      }
      System.out.printf("big device: %-36s %5d buckets, median %6.1f ms, max %6.1f ms%n", q[3], buckets,
        micros.getValueAtPercentile(50) / 1e3, micros.getMaxValue() / 1e3);
    }
  }

  private double raw(String storeUri, String collection, int bulkSize, int forSeconds) throws Exception {
    return BenchStore.rawInsertRate(vertx, storeUri, collection, bulkSize, true, forSeconds, n -> {
      String stream = "sensor.raw-" + n % DEVICES;
      String id = UUID.randomUUID().toString();
      return new JsonObject().put("_id", stream + "|" + String.format("%019d", n))
        .put("sid", stream + "|" + id).put("stream", stream).put("seq", n).put("id", id).put("type", "READING")
        .put("data", new JsonObject().put("kind", "temperature").put("value", 21.5).put("unit", "C")
          .put("at", "2026-11-22T18:00:00.123Z"))
        .put("by", "raw").put("ts", "2026-11-22T18:00:00.123Z");
    });
  }

  /** Posts readings; the answer is the readings' acks (a JSON array): only its status matters here. */
  private static Future<Void> post(HubbubHttp http, String path, String key, JsonArray body) {
    return http.request(HttpMethod.POST, path, key, body).compose(response -> response.status() < 300 ? Future.succeededFuture()
      : Future.failedFuture(path + ": " + response.status() + " " + response.text()));
  }

  private static JsonObject call(HubbubHttp http, HttpMethod method, String path, String token, JsonObject body) throws Exception {
    return call(http, method, path, token, body, 60);
  }

  private static JsonObject call(HubbubHttp http, HttpMethod method, String path, String token, JsonObject body,
                                 int timeoutSeconds) throws Exception {
    return http.call(method, path, token, body).await(timeoutSeconds, TimeUnit.SECONDS);
  }
}
