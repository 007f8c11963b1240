package io.hubbub.bench;

import io.hubbub.client.BridgeClient;
import io.hubbub.client.HubbubHttp;
import io.hubbub.embedded.EmbeddedStore;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Durable appends per second over HTTP and over the bridge with 1, 16, 64 and 256 concurrent publishers
 * (each on its own stream, then 64 on 4 shared streams), against Hubbub as deployed: its jar in a process of its
 * own, the default conf, its embedded store inside. Beside them, in the same run: the disk's own limits (small
 * appends each followed by fdatasync, the same asked for over loopback TCP one at a time, large appends), and the
 * embedded store's raw bulk-insert rate of the same documents, measured in the server's own store over the wire, and
 * its rate of one insert at a time (one publisher's ceiling short of the disk's). The small synced appends are measured
 * again right after the one-publisher rows, which are read against the better of the two. Each publisher sends one
 * event at a time and waits for its ack; the CPU column is the server process's (from its {@code /proc} counters),
 * the group commit's batch sizes and write times come from its {@code /metrics}. Before the rows, {@code warmup}
 * seconds of HTTP, bridge and batch publishers at once warm the server's JIT up ({@link #warmUp}).
 *
 * <pre>java -jar bench/target/hubbub-bench.jar append [seconds=10] [warmup=60] [publishers=1,16,64,256] [sharedStreams=4, 0: none]
 * [batchPublishers=1,4]</pre>
 */
public final class AppendBench {

  private static final String DATA = "x".repeat(180);
  private static final int BATCH = 1_000;
  /** Seconds of warm-up on one set of streams before the next. */
  private static final int WARMUP_ROUND = 5;
  private static final String BATCHES = "HTTP POST batches of " + String.format("%,d", BATCH) + " events";
  private static final int RAW_BULK = 500;
  /** The warm-up's HTTP publishers and its bridge ones; one publisher of batches goes beside them. */
  private static final int WARMUP_PUBLISHERS = 16;
  private static final int ONE_PUBLISHER_WARMUP = 15;

  private final Vertx vertx;
  private final int seconds;
  private final int warmup;
  /** The batch rows' publishers. */
  private final List<Integer> batchPublishers;
  private final List<Object[]> rows = new ArrayList<>();
  /** The server's metrics as {@link #writesSince} last read them, and storage's latency between that read and the one before. */
  private String metricsSeen = "";
  private String storeLatency = "";
  private long cpuMark;
  private long wallMark;
  private Map<String, long[]> threadsMark;
  private int pauseMark;
  private long loadMark;
  private long[] machineMark;
  private Server server;

  private AppendBench(Vertx vertx, int seconds, int warmup, List<Integer> batchPublishers) {
    this.vertx = vertx;
    this.seconds = seconds;
    this.warmup = warmup;
    this.batchPublishers = List.copyOf(batchPublishers);
  }

  static void run(int seconds, int warmup, List<Integer> publishers, int shared, List<Integer> batchPublishers)
    throws Exception {
    Path dir = Files.createTempDirectory("hubbub-append");
    Vertx vertx = Vertx.vertx();
    try {
      new AppendBench(vertx, seconds, warmup, batchPublishers).run(dir, publishers, shared);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
      BenchStore.deleteTree(dir);
    }
  }

  private void run(Path dir, List<Integer> publisherCounts, int sharedStreams) throws Exception {
    System.out.printf("hubbub append benchmark: %d s per scenario after %d s of warm-up (HTTP, the bridge and batches at once), 200-byte events,"
      + " the jar as deployed (embedded store inside)%n", seconds, warmup);
    double[] small = DiskLimits.smallSyncedAppends(dir, seconds);
    double largeMb = DiskLimits.largeSyncedAppendsMb(dir, seconds);
    Path data = dir.resolve("data");
    JsonObject conf = new JsonObject(Files.readString(Path.of("conf", "hubbub.json")));
    conf.getJsonObject("http").put("port", 0);
    conf.getJsonObject("mongo").put("dataDir", data.toString());
    conf.getJsonObject("auth").put("passwordIterations", 1_000)
      .put("throttle", new JsonObject().put("perUser", 1_000).put("perAddress", 1_000_000));
    try (Server server = Server.hubbub(dir, conf, List.of("-Xmx1g"))) {
      this.server = server;
      int port = server.port();
      server.awaitStarted();
      measure(dir, EmbeddedStore.runningUri(data), port, publisherCounts, sharedStreams, small, largeMb);
    }
  }

  private void measure(Path dir, String storeUri, int port, List<Integer> publisherCounts, int sharedStreams, double[] smallBefore,
    double largeMb)
    throws Exception {
    rawBulkInsert(storeUri, true, "warmup", RAW_BULK, 64, 3); // JIT warm-up of both sides, not counted
    double before = rawBulkInsert(storeUri, true, "raw_before", RAW_BULK, 64, seconds);
    double lazy = rawBulkInsert(storeUri, false, "raw_lazy", RAW_BULK, 64, seconds);
    double oneStream = rawBulkInsert(storeUri, true, "raw_one_stream", RAW_BULK, 1, seconds);
    // the most a group commit can gather from 64 publishers that each wait for their ack
    double small = rawBulkInsert(storeUri, true, "raw_64", 64, 64, seconds);
    // the store's own ceiling for one publisher: one journaled insert at a time, each waited for
    double single = rawBulkInsert(storeUri, true, "raw_1", 1, 1, seconds);
    // a connection for each publisher of any row and of the warm-up: sized by the publisher counts alone (until
    // 2026-12-07), a run of publishers=1 sent the four batch publishers' requests one after the other over one
    // connection, and the warm-up's seventeen too
    int connections = Math.max(Collections.max(publisherCounts),
      Math.max(WARMUP_PUBLISHERS + 1, Collections.max(batchPublishers)));
    HubbubHttp http = HubbubHttp.create(vertx, "127.0.0.1", port, connections);
    String token = Sessions.token(port);
    warmUp(http, token, port);
    writesSince(); // the warm-up's writes are not the first row's
    double[] smallAfter = null; // the disk's small synced appends, direct and over TCP, after the one-publisher rows
    for (int publishers : publisherCounts) {
      if (publishers == 1) {
        // one publisher takes branches the sixteen of the warm-up seldom do (a group of one event, a loop idle
        // between appends): C2 recompiled them through the one-publisher rows (61-114 µs of an append's 400-600)
        http(http, token, 1, 1, ONE_PUBLISHER_WARMUP, "app.http-");
        bridge(port, token, 1, 1, ONE_PUBLISHER_WARMUP, "app.bridge-");
        writesSince();
      }
      markCpu();
      row("HTTP POST /api/streams/{s}/events", publishers, publishers, http(http, token, publishers, publishers));
      markCpu();
      row("bridge streams.publish (raw WebSocket)", publishers, publishers, bridge(port, token, publishers, publishers));
      if (publishers == 1) {
        // the disk's rate swings by half over minutes here: measured again right after the one-publisher rows, and
        // those rows read against the better of the two, so that a slow minute of the disk never flatters them
        smallAfter = DiskLimits.smallSyncedAppends(dir, seconds);
      }
    }
    // many publishers on a few streams: a busy chat room, a fleet writing to shared streams
    int many = publisherCounts.contains(64) ? 64 : Collections.max(publisherCounts);
    if (sharedStreams > 0) { // sharedStreams=0 leaves these rows out
      markCpu();
      row("bridge streams.publish (raw WebSocket)", many, sharedStreams, bridge(port, token, many, sharedStreams));
      markCpu();
      row("HTTP POST /api/streams/{s}/events", many, sharedStreams, http(http, token, many, sharedStreams));
    }
    for (int publishers : batchPublishers) {
      markCpu();
      row(BATCHES, publishers, publishers, batches(http, token, publishers));
    }
    http.close().await(10, TimeUnit.SECONDS);
    double after = rawBulkInsert(storeUri, true, "raw_after", RAW_BULK, 64, seconds);
    // the reference is the better of the two raw runs around the scenarios, and of the disk's two measures
    double raw = Math.max(before, after);
    double syncs = Math.max(smallBefore[0], smallAfter == null ? 0 : smallAfter[0]);
    double wire = Math.max(smallBefore[1], smallAfter == null ? 0 : smallAfter[1]);
    Results results = new Results("append", new JsonObject().put("seconds", seconds).put("eventBytes", 200)
      .put("rawReference", raw).put("diskSyncsPerSecond", syncs).put("diskLargeMBps", largeMb)
        .put("wireSyncsPerSecond", wire).put("smallSyncedBefore", new JsonArray().add(smallBefore[0]).add(smallBefore[1]))
        .put("smallSyncedAfterOnePublisher", smallAfter == null ? null : new JsonArray().add(smallAfter[0]).add(smallAfter[1])),
      List.of("scenario", "publishers", "streams", "events/s", "vs raw", "vs disk", "cpu %", "events/write", "ms/write",
        "cpu us/event", "switches/event"));
    double diskEvents = largeMb * 1e6 / 200; // 200-byte events at the disk's large-append rate
    results.add("disk: 200-byte appends, each fdatasync'd", 1, 1, syncs, syncs / raw, 1.0, 0.0, 1.0, 1000 / syncs, 0.0, 0.0);
    results.add("disk: the same over loopback TCP, one at a time", 1, 1, wire, wire / raw, wire / syncs, 0.0, 1.0, 1000 / wire, 0.0,
      0.0);
    results.add("disk: 200 KB appends, fdatasync'd (as 200-byte events)", 1, 1, diskEvents, diskEvents / raw, 1.0, 0.0, 1000.0,
      0.0, 0.0, 0.0);
    results.add("store: raw bulk of " + RAW_BULK + ", journaled, before", 1, 64, before, before / raw, before / diskEvents, 0.0,
      (double) RAW_BULK, 0.0, 0.0, 0.0);
    results.add("store: raw bulk of " + RAW_BULK + ", journaled, after", 1, 64, after, after / raw, after / diskEvents, 0.0,
      (double) RAW_BULK, 0.0, 0.0, 0.0);
    results.add("store: raw bulk of " + RAW_BULK + ", not journaled", 1, 64, lazy, lazy / raw, lazy / diskEvents, 0.0,
      (double) RAW_BULK, 0.0, 0.0, 0.0);
    results.add("store: raw bulk of " + RAW_BULK + ", 1 stream, journaled", 1, 1, oneStream, oneStream / raw, oneStream / diskEvents,
      0.0, (double) RAW_BULK, 0.0, 0.0, 0.0);
    results.add("store: raw bulk of 64, journaled", 1, 64, small, small / raw, small / diskEvents, 0.0, 64.0, 0.0, 0.0, 0.0);
    results.add("store: one insert at a time, journaled", 1, 1, single, single / raw, single / syncs, 0.0, 1.0, 0.0, 0.0, 0.0);
    for (Object[] row : rows) {
      double rate = (Double) row[3];
      // one at a time, a publisher's ceiling is the disk's synced small appends; in batches, its large appends
      double disk = (int) row[1] == 1 && !BATCHES.equals(row[0]) ? syncs : diskEvents;
      results.add(row[0], row[1], row[2], rate, rate / raw, rate / disk, row[4], row[5], row[6], row[7], row[8]);
    }
    results.finish();
  }

  /**
   * JIT warm-up of the server's publish paths, not counted: C2 compiles them for most of a minute, and its compiler
   * thread would otherwise be half of the first rows' CPU. HTTP, the bridge and batches publish at once, as a server
   * serves them: warmed up one after the other (until 2026-12-06), the HTTP row began by deoptimizing what a minute of
   * the bridge alone had left compiled for it (~280 methods made not entrant in its 10 s, the compiler 34-45 µs of its
   * 150-200 an event), and the bridge row did the same after it.
   */
  private void warmUp(HubbubHttp http, String token, int port) throws Exception {
    int rounds = Math.max(1, warmup / WARMUP_ROUND);
    ExecutorService kinds = Executors.newFixedThreadPool(3);
    try {
      // new streams every round: a new stream's first write reads its last seq, as new streams do in use; on the
      // same 16 streams throughout, the rows' own new streams deoptimized the driver's code compiled for inserts only
      List<Callable<Double>> all = List.of(
        inRounds(rounds, i -> http(http, token, WARMUP_PUBLISHERS, WARMUP_PUBLISHERS, WARMUP_ROUND,
          "app.warm" + i + "-http-")),
        inRounds(rounds, i -> bridge(port, token, WARMUP_PUBLISHERS, WARMUP_PUBLISHERS, WARMUP_ROUND,
          "app.warm" + i + "-bridge-")),
        () -> batches(http, token, 1, rounds * WARMUP_ROUND));
      for (java.util.concurrent.Future<Double> kind : kinds.invokeAll(all)) {
        kind.get();
      }
    } finally {
      kinds.shutdownNow();
    }
  }

  /** One warm-up round of publishers on streams of its own, given the round's number. */
  private interface Round {
    double run(int round) throws Exception;
  }

  /** {@code round} run {@code rounds} times, one after the other. */
  private static Callable<Double> inRounds(int rounds, Round round) {
    return () -> {
      for (int i = 0; i < rounds; i++) {
        round.run(i);
      }
      return 0.0;
    };
  }

  private void markCpu() throws Exception {
    cpuMark = server.cpuNanos();
    threadsMark = server.threadCpu();
    pauseMark = server.pauseMark();
    loadMark = loadGeneratorCpuNanos();
    machineMark = machineTicks();
    wallMark = System.nanoTime();
  }

  /** This JVM's CPU time: the load generator's. */
  private static long loadGeneratorCpuNanos() {
    var system = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    return system.getProcessCpuTime();
  }

  /**
   * The machine's idle ticks (idle and waiting for I/O) and all its ticks, from {@code /proc/stat}'s first line (user,
   * nice, system, idle, iowait, irq, softirq, steal; not guest and guest_nice, which user and nice count already);
   * null elsewhere.
   */
  private static long[] machineTicks() {
    try {
      String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+", -1);
      long all = 0;
      for (int i = 1; i < Math.min(cpu.length, 9); i++) {
        all += Long.parseLong(cpu[i]);
      }
      return new long[] {Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]), all};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Events and milliseconds per group-commit write, and the events written, since the last call, from the server's
   * metrics ({0, 0, 0} when it wrote nothing); storage's latency meanwhile into {@link #storeLatency}.
   */
  private double[] writesSince() throws Exception {
    String metrics = server.metrics();
    String before = metricsSeen;
    storeLatency = StoreLatency.since(before, metrics);
    metricsSeen = metrics;
    long count = (long) (sum(metrics, "hubbub_append_batch_events_count") - sum(before, "hubbub_append_batch_events_count"));
    if (count <= 0) {
      return new double[] {0, 0, 0};
    }
    double events = sum(metrics, "hubbub_append_batch_events_sum") - sum(before, "hubbub_append_batch_events_sum");
    double writeMs = (sum(metrics, "hubbub_append_write_seconds_sum") - sum(before, "hubbub_append_write_seconds_sum")) * 1000;
    return new double[] {events / count, writeMs / count, events};
  }

  /**
   * Records a scenario's rate, with the server's CPU and the group commit's writes meanwhile, and prints it now, with
   * the load generator's CPU and the machine's idle share: whether a row was bound by the machine's two cores or by
   * something waiting (a batch row once had one HTTP connection for four publishers, and left two fifths idle).
   */
  private void row(String scenario, int publishers, int streams, double rate) throws Exception {
    long cpuNanos = server.cpuNanos() - cpuMark;
    long wall = System.nanoTime() - wallMark;
    double cpu = cpuNanos / (double) wall;
    double load = (loadGeneratorCpuNanos() - loadMark) / (double) wall;
    long[] machine = machineTicks();
    String idle = machine == null || machineMark == null || machine[1] == machineMark[1] ? "n/a"
      : String.format("%.0f%%", 100.0 * (machine[0] - machineMark[0]) / (machine[1] - machineMark[1]));
    Map<String, long[]> threads = server.threadCpu();
    double[] writes = writesSince();
    long events = (long) writes[2];
    double cpuPerEvent = events == 0 ? 0 : cpuNanos / 1e3 / events;
    double switchesPerEvent = events == 0 ? 0 : Server.switches(threadsMark, threads) / (double) events;
    double perWrite = writes[0];
    double msPerWrite = writes[1];
    rows.add(new Object[] {scenario, publishers, streams, rate, 100 * cpu, perWrite, msPerWrite, cpuPerEvent, switchesPerEvent});
    System.out.printf("  %s, %d publisher(s) on %d stream(s): %,.0f/s [cpu %.0f%% of one core, %.0f µs and %.1f thread switches"
      + " an event] (%.1f events and %.1f ms per write) [load generator %.0f%% of one core, machine idle %s]%n",
      scenario, publishers, streams, rate, 100 * cpu, cpuPerEvent, switchesPerEvent, perWrite, msPerWrite, 100 * load, idle);
    if (events > 0) {
      System.out.println("  " + Server.byThreads(threadsMark, threads, events, "event") + server.pausesSince(pauseMark));
      if (!storeLatency.isEmpty()) {
        System.out.println("  " + storeLatency.strip());
      }
    }
  }

  /**
   * The store's own rate: ordered bulk inserts of the same documents into a collection with the same indexes, spread
   * round-robin over {@code streams} streams as the publishers below spread theirs, in the server's embedded store.
   */
  private double rawBulkInsert(String storeUri, boolean journaled, String collection, int bulkSize, int streams, int seconds)
    throws Exception {
    // the same keys and indexes as the events collection: _id <stream>|<seq> and a unique sid <stream>|<id>
    return BenchStore.rawInsertRate(vertx, storeUri, collection, bulkSize, journaled, seconds, n -> document("app.raw-" + n % streams, n));
  }

  /** The sum of a Prometheus metric's values over all its label sets. */
  static double sum(String metrics, String name) {
    double total = 0;
    for (String line : metrics.lines().toList()) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  private static JsonObject document(String stream, long seq) {
    String id = UUID.randomUUID().toString();
    return new JsonObject().put("_id", stream + "|" + String.format(Locale.ROOT, "%019d", seq)).put("sid", stream + "|" + id)
      .put("stream", stream).put("seq", seq).put("id", id)
      .put("type", "BENCH").put("data", new JsonObject().put("text", DATA)).put("by", "bench")
      .put("ts", "2026-11-22T18:00:00.123Z");
  }

  private double http(HubbubHttp http, String token, int publishers, int streams) throws Exception {
    return http(http, token, publishers, streams, seconds, "app.http-");
  }

  private static double http(HubbubHttp http, String token, int publishers, int streams, int seconds, String prefix)
    throws Exception {
    AtomicLong acks = new AtomicLong();
    long end = System.currentTimeMillis() + seconds * 1000L;
    long start = System.nanoTime();
    List<Future<Void>> loops = IntStream.range(0, publishers)
      .mapToObj(p -> httpLoop(http, token, prefix + publishers + "-" + streams + "-" + p % streams, end, acks)).toList();
    Future.all(loops).await(seconds + 60L, TimeUnit.SECONDS);
    return acks.get() / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * One HTTP publisher: a 200-byte event to its stream, wait for the ack, again until {@code end} (ms).
   */
  static Future<Void> httpLoop(HubbubHttp http, String token, String stream, long end, AtomicLong acks) {
    JsonObject event = new JsonObject().put("type", "BENCH").put("data", new JsonObject().put("text", DATA));
    return postLoop(http, token, stream, event, 1, end, acks);
  }

  /** Events/s of {@code publishers} each posting batches of {@value #BATCH} events to its own stream, one at a time. */
  private double batches(HubbubHttp http, String token, int publishers) throws Exception {
    return batches(http, token, publishers, seconds);
  }

  private static double batches(HubbubHttp http, String token, int publishers, int seconds) throws Exception {
    JsonArray batch = new JsonArray();
    for (int i = 0; i < BATCH; i++) {
      batch.add(new JsonObject().put("type", "BENCH").put("data", new JsonObject().put("text", DATA)));
    }
    // encoded once: encoding 200 KB of JSON for every request took the load generator a fifth of a core at 150,000
    // events/s, on the two cores it shares with the server
    Buffer body = batch.toBuffer();
    AtomicLong acks = new AtomicLong();
    long end = System.currentTimeMillis() + seconds * 1000L;
    long start = System.nanoTime();
    List<Future<Void>> loops = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      loops.add(postLoop(http, token, "app.batches-" + publishers + "-" + p, body, BATCH, end, acks));
    }
    Future.all(loops).await(seconds + 60L, TimeUnit.SECONDS);
    return acks.get() / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * Posts {@code body} ({@code events} events) to the stream, waits for the ack, again until {@code end} (ms). Each
   * request is made from the previous one's callback, not chained with compose: a chain of tens of thousands of
   * futures overflows the stack when it completes.
   */
  private static Future<Void> postLoop(HubbubHttp http, String token, String stream, Object body, int events, long end,
                                       AtomicLong acks) {
    Promise<Void> done = Promise.promise();
    postNext(http, token, stream, body, events, end, acks, done);
    return done.future();
  }

  private static void postNext(HubbubHttp http, String token, String stream, Object body, int events, long end,
                               AtomicLong acks, Promise<Void> done) {
    if (System.currentTimeMillis() >= end) {
      done.complete();
      return;
    }
    http.request(HttpMethod.POST, "/api/streams/" + stream + "/events", token, body).onComplete(answered -> {
      if (answered.failed()) {
        done.fail(answered.cause());
      } else if (answered.result().status() != 201) {
        done.fail("HTTP " + answered.result().status());
      } else {
        acks.addAndGet(events);
        postNext(http, token, stream, body, events, end, acks, done);
      }
    });
  }

  private double bridge(int port, String token, int publishers, int streams) throws Exception {
    return bridge(port, token, publishers, streams, seconds, "app.bridge-");
  }

  private double bridge(int port, String token, int publishers, int streams, int seconds, String prefix) throws Exception {
    AtomicLong acks = new AtomicLong();
    long end = System.currentTimeMillis() + seconds * 1000L;
    List<BridgeClient> sockets = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      // the bridge closes sockets that do not ping (as the official client does every 5 s)
      sockets.add(BridgeClient.connect(vertx, port).await(30, TimeUnit.SECONDS).token(token).keepFrames(false).pingEvery(vertx, 5_000));
    }
    long start = System.nanoTime();
    List<Future<Void>> loops = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      loops.add(bridgeLoop(sockets.get(p), prefix + publishers + "-" + streams + "-" + p % streams, end, acks));
    }
    Future.all(loops).await(seconds + 60L, TimeUnit.SECONDS);
    double rate = acks.get() / ((System.nanoTime() - start) / 1e9);
    Future.join(sockets.stream().map(BridgeClient::close).toList()).await(10, TimeUnit.SECONDS);
    return rate;
  }

  /** One publisher on one socket: a send with a reply address, wait for the reply, again (as {@link #httpLoop}). */
  private static Future<Void> bridgeLoop(BridgeClient socket, String stream, long end, AtomicLong acks) {
    Promise<Void> done = Promise.promise();
    bridgeNext(socket, stream, end, acks, done);
    return done.future();
  }

  private static void bridgeNext(BridgeClient socket, String stream, long end, AtomicLong acks, Promise<Void> done) {
    if (System.currentTimeMillis() >= end) {
      done.complete();
      return;
    }
    JsonObject body = new JsonObject().put("stream", stream).put("type", "BENCH").put("data", new JsonObject().put("text", DATA));
    socket.request("streams.publish", body).onComplete(ack -> {
      if (ack.failed()) {
        done.fail(ack.cause());
      } else {
        acks.incrementAndGet();
        bridgeNext(socket, stream, end, acks, done);
      }
    });
  }
}
