package io.hubbub.bench;

import io.hubbub.client.HubbubHttp;
import io.hubbub.client.Response;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import io.netty.handler.codec.mqtt.MqttQoS;
import org.HdrHistogram.Histogram;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A device fleet: {@code devices} devices each posting one reading every {@code 1/rate} s over HTTP, one reading a
 * request, as devices in the field report. The load is open: each device's requests are due on a fixed schedule
 * (spread evenly over the second) whether or not the last one was answered, and latency runs from when a request
 * was due, so a server that falls behind shows it. While the load runs, a few devices' status tells how far the
 * aggregates are behind (asked every second from the start, so the measured window brings no new kind of work): for
 * each, the oldest acknowledged reading its aggregates do not hold yet, and how long ago that acknowledgement came.
 * Hubbub runs from its jar in its own process with its embedded store inside, as deployed. The server's CPU is its
 * process's, with the JIT compiler's share named (a JVM this size still compiles a minute after it starts) and, for
 * the measured window, each kind of thread's share. With {@code protocol=mqtt} each device holds an MQTT connection
 * (Vert.x's client, 3.1.1) and publishes each reading at QoS 1; its latency runs to the PUBACK (the server
 * acknowledges a device's publishes in order, once stored), and a device's n-th acknowledged reading is its stream's
 * seq n.
 *
 * <p>Devices join over the first {@code ramp} seconds of the warm-up, one after another, as a fleet comes online: all
 * of them at once on a cold server made its first half-minute on this 2-core machine a backlog that the JIT (half the
 * server's CPU then) and the load generator's own start drained in 30 to 80 s, into the measured window or not
 * depending on the run. {@code ramp=0} starts them all at once.
 *
 * <pre>java -jar bench/target/hubbub-bench.jar fleet [devices=2000] [rate=1] [seconds=30] [warmup=60] [ramp=30] [protocol=http|mqtt]</pre>
 */
final class FleetBench {

  private static final int CONNECTIONS = 256;
  private static final int SAMPLED = 20;

  private final Vertx vertx;
  private final int devices;
  private final double rate;
  private final Histogram latency = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
  /** Latencies since the last progress line. */
  private final Histogram recent = new Histogram(TimeUnit.MINUTES.toMicros(5), 2);
  private final AtomicLong taken = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong lost = new AtomicLong();
  /** Per sampled device, seq → when its acknowledgement came (ns). */
  private final Map<String, ConcurrentSkipListMap<Long, Long>> acked = new ConcurrentHashMap<>();
  private volatile boolean measuring;

  private final boolean mqtt;
  /** Over MQTT, per device: its connection, and when each publish not acknowledged yet was due (ns), oldest first. */
  private final List<MqttClient> clients = new ArrayList<>();
  private final List<Queue<Long>> unacked = new ArrayList<>();
  private final AtomicLong[] ackCounts;

  private FleetBench(Vertx vertx, int devices, double rate, boolean mqtt) {
    this.vertx = vertx;
    this.devices = devices;
    this.rate = rate;
    this.mqtt = mqtt;
    this.ackCounts = new AtomicLong[devices];
  }

  static void run(int devices, double rate, int seconds, int warmup, int ramp, String protocol) throws Exception {
    if (ramp > warmup) {
      throw new IllegalArgumentException("ramp (" + ramp + " s) must end within the warm-up (" + warmup + " s)");
    }
    if (!protocol.equals("http") && !protocol.equals("mqtt")) {
      throw new IllegalArgumentException("protocol is http or mqtt, not " + protocol);
    }
    Path dir = Files.createTempDirectory("hubbub-fleet-bench");
    Vertx vertx = Vertx.vertx();
    try {
      new FleetBench(vertx, devices, rate, protocol.equals("mqtt")).run(dir, seconds, warmup, ramp);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
      BenchStore.deleteTree(dir);
    }
  }

  private void run(Path dir, int seconds, int warmup, int ramp) throws Exception {
    System.out.printf("hubbub fleet benchmark: %d devices over %s, one reading every %.2f s each (%,.0f readings/s offered), "
      + "%d s after %d s of warm-up (devices joining over the first %d s), the jar as deployed%n", devices, mqtt ? "MQTT" : "HTTP",
      1 / rate, devices * rate, seconds, warmup, ramp);
    JsonObject conf = new JsonObject(Files.readString(Path.of("conf", "hubbub.json")));
    conf.getJsonObject("http").put("port", 0);
    conf.getJsonObject("mongo").put("dataDir", dir.resolve("data").toString());
    conf.getJsonObject("auth").put("passwordIterations", 1_000).put("adminPassword", "bench-admin-password");
    Results results = new Results("fleet", new JsonObject().put("devices", devices).put("rate", rate)
      .put("seconds", seconds).put("warmup", warmup).put("ramp", ramp).put("protocol", mqtt ? "mqtt" : "http"), List.of("measure", "value"));
    try (Server server = Server.hubbub(dir, conf, List.of())) {
      int port = server.port();
      server.awaitStarted();
      HubbubHttp http = HubbubHttp.create(vertx, "127.0.0.1", port, CONNECTIONS);
      String admin = http.login("admin", "bench-admin-password").await(60, TimeUnit.SECONDS);
      List<String> keys = register(http, admin);
      if (mqtt) {
        connect(server.mqttPort(), keys);
      }
      for (int d = 0; d < SAMPLED; d++) {
        acked.put(id(d * (devices / SAMPLED)), new ConcurrentSkipListMap<>());
      }
      long start = System.nanoTime();
      long warmEnd = start + TimeUnit.SECONDS.toNanos(warmup);
      long end = warmEnd + TimeUnit.SECONDS.toNanos(seconds);
      long period = Math.round(1e9 / rate);
      long[] next = new long[devices];
      long rampNanos = TimeUnit.SECONDS.toNanos(ramp);
      for (int d = 0; d < devices; d++) {
        // spread evenly over one period, and the first one due once the device has joined (whole periods into the ramp)
        next[d] = start + rampNanos * d / devices / period * period + period * d / devices;
      }
      AtomicLong behindMaxMs = new AtomicLong();
      long cpuBefore = 0;
      long jitBefore = 0;
      Map<String, long[]> threadsBefore = Map.of();
      long takenBefore = 0;
      boolean started = false;
      long lastSample = 0;
      long lastProgress = start;
      long[] progress = {taken.get(), server.cpuNanos(), server.compilerNanos()};
      while (System.nanoTime() < end) {
        long now = System.nanoTime();
        if (!started && now >= warmEnd) {
          started = true;
          measuring = true;
          cpuBefore = server.cpuNanos();
          jitBefore = server.compilerNanos();
          threadsBefore = server.threadCpu();
          takenBefore = taken.get();
        }
        for (int d = 0; d < devices; d++) {
          while (next[d] <= now) {
            if (mqtt) {
              publish(d, next[d]);
            } else {
              send(http, d, keys.get(d), next[d]);
            }
            next[d] += period;
          }
        }
        if (now - lastProgress >= 5_000_000_000L) { // a line every 5 s: how a backlog builds or drains
          long[] at = {taken.get(), server.cpuNanos(), server.compilerNanos()};
          double s = (now - lastProgress) / 1e9;
          long slowest;
          synchronized (recent) {
            slowest = recent.getMaxValue();
            recent.reset();
          }
          System.out.printf("  %3.0f s: %,6.0f readings/s taken, server %3.0f%% CPU (JIT %2.0f%%), slowest answer %,d ms%n",
            (now - start) / 1e9, (at[0] - progress[0]) / s, (at[1] - progress[1]) / s / 1e7, (at[2] - progress[2]) / s / 1e7,
            slowest / 1_000);
          progress = at;
          lastProgress = now;
        }
        if (now - lastSample >= 1_000_000_000L) { // from the start, so the measured window adds no new work
          lastSample = now;
          behind(http, admin).onSuccess(ms -> {
            if (measuring && ms > behindMaxMs.getAndAccumulate(ms, Math::max)) {
              // the lag counts to the answer: a slow status round adds to it
              System.out.printf("  aggregates most behind yet: %,d ms, %.0f s in (that status round took %,d ms)%n", ms,
                (now - start) / 1e9, (System.nanoTime() - now) / 1_000_000);
            }
          });
        }
        Thread.sleep(2);
      }
      long cpu = server.cpuNanos() - cpuBefore;
      long jit = server.compilerNanos() - jitBefore;
      long measured = taken.get() - takenBefore;
      Map<String, long[]> threadsAfter = server.threadCpu();
      measuring = false;
      if (measured > 0) {
        System.out.println(Server.byThreads(threadsBefore, threadsAfter, measured, "reading"));
      }
      long loadEnded = System.nanoTime();
      try {
        caughtUp(http, admin).await(300, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        stuck(http, admin);
        throw e;
      }
      double caughtUpS = (System.nanoTime() - loadEnded) / 1e9;
      results.add("readings/s offered", devices * rate);
      results.add("readings/s taken", measured / (double) seconds);
      results.add("latency p50 (ms)", latency.getValueAtPercentile(50) / 1e3);
      results.add("latency p99 (ms)", latency.getValueAtPercentile(99) / 1e3);
      results.add("latency max (ms)", latency.getMaxValue() / 1e3);
      results.add("server CPU per reading (us)", measured == 0 ? 0.0 : cpu / 1e3 / measured);
      results.add("... of which the JIT compiler (us)", measured == 0 ? 0.0 : jit / 1e3 / measured);
      results.add("aggregates behind, most seen (ms)", (double) behindMaxMs.get());
      results.add("aggregates caught up after the load (s)", caughtUpS);
      results.add("refused (4xx/5xx)", refused.get());
      results.add("no answer", lost.get());
      results.finish();
      for (MqttClient client : clients) {
        client.disconnect();
      }
      http.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static String id(int d) {
    return "fleet-" + d;
  }

  private List<String> register(HubbubHttp http, String admin) throws Exception {
    List<String> keys = new ArrayList<>();
    for (int from = 0; from < devices; from += 100) {
      List<Future<JsonObject>> batch = new ArrayList<>();
      for (int d = from; d < Math.min(devices, from + 100); d++) {
        batch.add(http.call(HttpMethod.POST, "/api/devices", admin, new JsonObject().put("deviceId", id(d))));
      }
      Future.all(batch).await(120, TimeUnit.SECONDS);
      batch.forEach(f -> keys.add(f.result().getString("key")));
    }
    System.out.printf("%d devices registered%n", devices);
    return keys;
  }

  private static JsonObject reading(String device, long due) {
    return new JsonObject().put("kind", "temperature").put("value", 20 + (due / 1_000_000 % 100) / 10.0)
      .put("at", Instant.now().toString()).put("id", device + "-" + due);
  }

  private void send(HubbubHttp http, int d, String key, long due) {
    String device = id(d);
    http.request(HttpMethod.POST, "/api/sensors/" + device + "/readings", key, reading(device, due)).onComplete(answer -> {
      long now = System.nanoTime();
      if (answer.failed()) {
        lost.incrementAndGet();
        return;
      }
      Response response = answer.result();
      if (response.status() >= 300) {
        refused.incrementAndGet();
        return;
      }
      taken(device, response.json().getLong("seq"), due, now);
    });
  }

  private void taken(String device, long seq, long due, long now) {
    taken.incrementAndGet();
    long micros = Math.max(0, (now - due) / 1_000);
    synchronized (recent) {
      recent.recordValue(Math.min(recent.getHighestTrackableValue(), micros));
    }
    if (measuring) {
      synchronized (latency) {
        latency.recordValue(Math.min(latency.getHighestTrackableValue(), micros));
      }
    }
    ConcurrentSkipListMap<Long, Long> sampled = acked.get(device);
    if (sampled != null) {
      sampled.put(seq, now);
    }
  }

  /** One MQTT connection per device, opened 100 at a time. */
  private void connect(int port, List<String> keys) throws Exception {
    for (int d = 0; d < devices; d++) {
      int device = d;
      MqttClient client = MqttClient.create(vertx, new MqttClientOptions().setClientId(id(d)).setUsername(id(d))
        .setPassword(keys.get(d)).setAutoKeepAlive(true).setMaxInflightQueue(1_000));
      Queue<Long> due = new ConcurrentLinkedQueue<>();
      ackCounts[d] = new AtomicLong();
      client.publishCompletionHandler(messageId -> {
        Long when = due.poll();
        if (when != null) {
          taken(id(device), ackCounts[device].incrementAndGet(), when, System.nanoTime());
        }
      });
      client.closeHandler(v -> lost.addAndGet(due.size()));
      clients.add(client);
      unacked.add(due);
    }
    for (int from = 0; from < devices; from += 100) {
      Future.all(clients.subList(from, Math.min(devices, from + 100)).stream().map(c -> c.connect(port, "127.0.0.1")).toList())
        .await(60, TimeUnit.SECONDS);
    }
    System.out.printf("%d devices connected over MQTT%n", devices);
  }

  private void publish(int d, long due) {
    MqttClient client = clients.get(d);
    if (!client.isConnected()) {
      lost.incrementAndGet();
      return;
    }
    unacked.get(d).add(due);
    client.publish("sensor/" + id(d) + "/readings", reading(id(d), due).toBuffer(), MqttQoS.AT_LEAST_ONCE, false, false);
  }

  /** The longest time, among the sampled devices, since a reading their aggregates do not hold yet was acknowledged. */
  private Future<Long> behind(HubbubHttp http, String admin) {
    List<Future<Long>> each = acked.entrySet().stream().map(e -> http.call(HttpMethod.GET, "/api/sensors/" + e.getKey(), admin, null)
      .map(status -> {
        long asked = System.nanoTime();
        e.getValue().headMap(status.getLong("appliedSeq"), true).clear();
        Map.Entry<Long, Long> oldest = e.getValue().firstEntry();
        return oldest == null ? 0L : Math.max(0, (asked - oldest.getValue()) / 1_000_000);
      })).toList();
    return Future.all(each).map(all -> each.stream().mapToLong(Future::result).max().orElse(0));
  }

  /** Prints, for each sampled device whose aggregates never caught up, where they stopped and what its stream holds there. */
  private void stuck(HubbubHttp http, String admin) {
    acked.forEach((device, seqs) -> {
      if (seqs.isEmpty()) {
        return;
      }
      try {
        JsonObject status = http.call(HttpMethod.GET, "/api/sensors/" + device, admin, null).await(10, TimeUnit.SECONDS);
        long applied = status.getLong("appliedSeq");
        seqs.headMap(applied, true).clear();
        if (seqs.isEmpty()) {
          System.out.printf("  %s: caught up now (applied through %d): only the benchmark's status requests were behind%n",
            device, applied);
          return;
        }
        JsonObject page = http.call(HttpMethod.GET, "/api/streams/sensor." + device + "/events?from=" + (applied + 1) + "&limit=3",
          admin, null).await(10, TimeUnit.SECONDS);
        System.out.printf("  not caught up: %s applied through %d, %d acknowledged readings from seq %d not folded; "
          + "its stream from %d: %s%n", device, applied, seqs.size(), seqs.firstKey(), applied + 1, page.getJsonArray("events"));
      } catch (Exception e) {
        System.out.printf("  not caught up: %s, %d acknowledged readings from seq %d not folded (status: %s)%n",
          device, seqs.size(), seqs.firstKey(), e);
      }
    });
  }

  /**
   * Completes when every sampled device's aggregates hold every reading acknowledged. A round of status requests that
   * gets no answer within 10 s is given up and asked again: once, a round hung (no answer, no failure) with every
   * device caught up, and the run waited its 300 s for nothing.
   */
  private Future<Void> caughtUp(HubbubHttp http, String admin) {
    return behind(http, admin).timeout(10, TimeUnit.SECONDS).transform(round -> {
      boolean done = round.succeeded() && acked.values().stream().allMatch(Map::isEmpty);
      if (round.failed()) {
        System.out.printf("  status round not answered, asking again: %s%n", round.cause());
      }
      return done ? Future.<Void>succeededFuture()
        : Future.<Void>future(p -> vertx.setTimer(100, t -> p.complete())).compose(v -> caughtUp(http, admin));
    });
  }
}
