package io.hubbub.bench;

import io.hubbub.bus.StorageBus;
import io.hubbub.client.BlockingHttp;
import io.hubbub.client.BridgeClient;
import io.hubbub.client.HubbubHttp;
import io.hubbub.client.Response;
import io.hubbub.embedded.EmbeddedStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The cluster on this machine, as real JVMs (the packaged jar), with 1, 2 and 3 nodes:
 * <ul>
 *   <li>1 node: everything (clustered, alone);</li>
 *   <li>2 nodes: core (storage, auth, audit, sensors) + one edge (gateway, chat);</li>
 *   <li>3 nodes: core + two edges; the publisher on one edge, the subscriber on the other.</li>
 * </ul>
 * For each: cluster formation (all nodes launched at once, until the last has started), request/reply
 * latency through a gateway to storage ({@code GET /api/streams/{s}}: HTTP in, one bus request/reply to the
 * storage node, out) and publish-to-delivery latency (HTTP publish on one edge, received on a bridge
 * WebSocket of another edge when there are two). Then failover: two storage nodes and an edge; the first
 * storage node, owner of a stream, is SIGKILLed and a new publish (its own id) goes to that stream every
 * 50 ms; the time until the first is acknowledged, what the others got meanwhile, three times. The store is an embedded one in this JVM, reached over the wire.
 *
 * <pre>mvn -B -q -DskipTests package && java -cp bench/target/hubbub-bench.jar io.hubbub.bench.ClusterBench [samples, default 500; 0: failover only]</pre>
 */
public final class ClusterBench {

  private static final int WARMUP = 300;

  private final Path dir;
  private final String storeUri;
  private final Vertx vertx = Vertx.vertx();
  /** Per port, an HTTP client of that node, for the publishes that overlap. */
  private final Map<Integer, HubbubHttp> async = new ConcurrentHashMap<>();
  private final List<Server> running = new ArrayList<>();
  private int run;

  private ClusterBench(Path dir, String storeUri) {
    this.dir = dir;
    this.storeUri = storeUri;
  }

  static void run(int samples) throws Exception {
    if (!Files.isRegularFile(Server.HUBBUB_JAR)) {
      throw new IllegalStateException("no " + Server.HUBBUB_JAR + ": run from the repository root after 'mvn -B -q -DskipTests package'");
    }
    Path dir = Files.createTempDirectory("hubbub-cluster-bench");
    EmbeddedStore store = EmbeddedStore.start(dir.resolve("store"));
    ClusterBench bench = new ClusterBench(dir, store.uri());
    try {
      System.out.printf("hubbub cluster benchmark: %d samples per latency, real JVMs, embedded store in the bench JVM%n", samples);
      System.out.printf("%-6s %12s %22s %22s%n", "nodes", "formation", "request/reply p50/p99", "publish->deliver p50/p99");
      for (int n = 1; n <= 3 && samples > 0; n++) { // 0 samples: failover only
        bench.layout(n, samples);
      }
      bench.failover(3);
    } finally {
      bench.stopAll();
      bench.vertx.close().await(30, TimeUnit.SECONDS);
      store.close();
      try (var files = Files.walk(dir)) {
        files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private void layout(int nodes, int samples) throws Exception {
    Map<String, String[]> roles = new LinkedHashMap<>();
    if (nodes == 1) {
      roles.put("all", new String[] {"storage", "audit", "auth", "chat", "sensors", "gateway"});
    } else {
      roles.put("core", new String[] {"storage", "audit", "auth", "sensors"});
      roles.put("edge-1", new String[] {"chat", "gateway"});
      if (nodes == 3) {
        roles.put("edge-2", new String[] {"chat", "gateway"});
      }
    }
    String cluster = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < roles.size(); i++) {
      ports.add(BenchStore.freePort());
    }
    String database = "bench" + ++run;
    long launched = System.nanoTime();
    List<Server> procs = new ArrayList<>();
    int i = 0;
    for (Map.Entry<String, String[]> role : roles.entrySet()) {
      procs.add(launch(role.getKey(), conf(cluster, database, ports, i++, role.getValue())));
    }
    for (Server p : procs) {
      p.awaitStarted();
    }
    double formation = (System.nanoTime() - launched) / 1e9;
    List<Server> edges = procs.stream().filter(Server::hasGateway).toList();
    Server publishVia = edges.get(0);
    Server subscribeVia = edges.get(edges.size() - 1);
    waitReady(publishVia.port());
    String token = login(publishVia.port());

    String stream = "app.latency";
    post(publishVia.port(), stream, token, 0);
    Histogram rr = new Histogram(3);
    for (int s = -WARMUP; s < samples; s++) {
      long t0 = System.nanoTime();
      Response r = get(publishVia.port(), "/api/streams/" + stream, token);
      long t = System.nanoTime() - t0;
      if (r.status() != 200) {
        throw new IllegalStateException("meta: " + r.status() + " " + r.text());
      }
      if (s >= 0) {
        rr.recordValue(t);
      }
    }
    Histogram delivery = deliveries(publishVia.port(), subscribeVia.port(), stream, token, samples);
    System.out.printf("%-6d %10.1f s %9.2f / %6.2f ms %9.2f / %6.2f ms%n", nodes, formation,
      ms(rr, 50), ms(rr, 99), ms(delivery, 50), ms(delivery, 99));
    for (Server p : procs) {
      System.out.printf("         %s: %s%n", p.name, p.joined());
    }
    stopAll();
  }

  /** Publishes one event at a time on one edge; a bridge socket on the other receives them. */
  private Histogram deliveries(int publishPort, int subscribePort, String stream, String token, int samples) throws Exception {
    Map<Long, Long> received = new ConcurrentHashMap<>();
    BridgeClient bridge = BridgeClient.connect(vertx, subscribePort).await(10, TimeUnit.SECONDS).token(token).keepFrames(false)
      .pingEvery(vertx, 5_000);
    bridge.register(BridgeClient.liveAddress(stream), frame -> {
      if (frame.getValue("body") instanceof JsonObject body && body.containsKey("seq")) {
        received.put(body.getLong("seq"), System.nanoTime());
      }
    });
    Thread.sleep(1_000);
    Histogram latencies = new Histogram(3);
    for (int s = -WARMUP; s < samples; s++) {
      long t0 = System.nanoTime();
      long seq = post(publishPort, stream, token, s);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!received.containsKey(seq)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("event " + seq + " never delivered");
        }
        Thread.onSpinWait();
      }
      if (s >= 0) {
        latencies.recordValue(received.get(seq) - t0);
      }
    }
    bridge.close().await(10, TimeUnit.SECONDS);
    return latencies;
  }

  /** Two storage nodes and an edge; SIGKILL the owner of a stream while publishing to it, {@code rounds} times. */
  private void failover(int rounds) throws Exception {
    System.out.println();
    System.out.println("failover: SIGKILL of the storage node owning the stream while a publish goes to it every 50 ms");
    for (int round = 1; round <= rounds; round++) {
      String cluster = "bench-" + UUID.randomUUID().toString().substring(0, 8);
      List<Integer> ports = List.of(BenchStore.freePort(), BenchStore.freePort(), BenchStore.freePort());
      String database = "failover" + round;
      String[] storage = {"storage", "auth", "audit"};
      Server s1 = launch("storage-1", conf(cluster, database, ports, 0, storage));
      s1.awaitStarted();
      Server s2 = launch("storage-2", conf(cluster, database, ports, 1, storage));
      Server edge = launch("edge", conf(cluster, database, ports, 2, new String[] {"chat", "gateway"}));
      s2.awaitStarted();
      edge.awaitStarted();
      int port = edge.port();
      waitReady(port);
      String token = login(port);
      String stream = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (stream == null) { // once balanced, a stream of storage-1's
        JsonObject ready = get(port, "/ready", null).json();
        JsonArray owners = ready.getJsonObject("partitions").getJsonArray("owners");
        for (Object o : owners) {
          JsonObject owner = (JsonObject) o;
          if (owners.size() == 2 && owner.getString("node").equals("storage-1") && owner.getJsonArray("partitions").size() == 32) {
            for (int k = 0; stream == null; k++) {
              if (owner.getJsonArray("partitions").contains(StorageBus.partition("app.f" + k, StorageBus.DEFAULT_PARTITIONS))) {
                stream = "app.f" + k;
              }
            }
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("partitions never balanced: " + ready.encode());
        }
        Thread.sleep(200);
      }
      for (int k = 0; k < 50; k++) {
        post(port, stream, token, k);
      }
      s1.kill();
      long killed = System.nanoTime();
      // a new publish every 50 ms, each with its own id, answered whenever: as many publishers would
      Map<Integer, Integer> refusals = new java.util.TreeMap<>();
      java.util.concurrent.atomic.AtomicLong firstAck = new java.util.concurrent.atomic.AtomicLong();
      java.util.concurrent.atomic.AtomicLong longest = new java.util.concurrent.atomic.AtomicLong();
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (int k = 0; firstAck.get() == 0 && k < 400; k++) {
        long at = System.nanoTime();
        sent.add(postAsync(port, stream, token, "after-kill-" + k).toCompletionStage().toCompletableFuture().whenComplete((r, e) -> {
          longest.accumulateAndGet(System.nanoTime() - at, Math::max);
          int status = r == null ? -1 : r.status();
          synchronized (refusals) {
            if (status == 201) {
              firstAck.compareAndSet(0, System.nanoTime());
            } else {
              refusals.merge(status, 1, Integer::sum);
            }
          }
        }));
        Thread.sleep(50);
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      System.out.printf("  round %d: first append acknowledged %.2f s after SIGKILL; refused meanwhile (status=count): %s;"
        + " longest wait for an answer %.2f s%n", round, (firstAck.get() - killed) / 1e9, refusals, longest.get() / 1e9);
      stopAll();
    }
  }

  private JsonObject conf(String cluster, String database, List<Integer> ports, int index, String[] verticles) throws IOException {
    JsonObject conf = new JsonObject(Files.readString(Path.of("conf", "hubbub.json")));
    conf.getJsonObject("http").put("port", 0);
    conf.getJsonObject("mongo").put("uri", storeUri).put("database", database);
    conf.getJsonObject("auth").put("passwordIterations", 1_000).put("adminPassword", "admin-password-1")
      // every simulated user signs up from this one address
      .put("throttle", new JsonObject().put("perUser", 1_000).put("perAddress", 1_000_000));
    conf.getJsonObject("chat").put("rateLimit", new JsonObject().put("messages", 1_000_000).put("perSeconds", 1));
    JsonArray list = new JsonArray();
    for (String v : verticles) {
      list.add(new JsonObject().put("name", v));
    }
    conf.put("verticles", list);
    conf.put("cluster", new JsonObject().put("enabled", true).put("name", cluster).put("host", "127.0.0.1")
      .put("port", ports.get(index))
      .put("members", new JsonArray(ports.stream().map(p -> (Object) ("127.0.0.1:" + p)).toList())));
    return conf;
  }

  private Server launch(String name, JsonObject conf) throws IOException {
    Server server = Server.hubbub(name, dir, conf, List.of("-Xmx512m"));
    running.add(server);
    return server;
  }

  private void stopAll() throws InterruptedException {
    for (Server server : running) {
      server.close();
    }
    running.clear();
  }

  private void waitReady(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Response r = get(port, "/ready", null);
      if (r.status() == 200 && new JsonObject(r.text()).getJsonObject("partitions").getInteger("owned") == StorageBus.DEFAULT_PARTITIONS) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not ready: " + r.text());
      }
      Thread.sleep(100);
    }
  }

  private String login(int port) throws Exception {
    return BlockingHttp.local(port).signUpAndLogin("bench", "password-bench");
  }

  private long post(int port, String stream, String token, int n) throws Exception {
    Response r = postRaw(port, stream, token, null);
    if (r.status() != 201) {
      throw new IllegalStateException("publish " + n + ": " + r.status() + " " + r.text());
    }
    return r.json().getLong("seq");
  }

  private Response postRaw(int port, String stream, String token, String id) throws Exception {
    JsonObject event = new JsonObject().put("type", "BENCH").put("data", new JsonObject().put("t", System.nanoTime()));
    if (id != null) {
      event.put("id", id);
    }
    return send(port, HttpMethod.POST, "/api/streams/" + stream + "/events", token, event);
  }

  private Future<Response> postAsync(int port, String stream, String token, String id) {
    JsonObject event = new JsonObject().put("type", "BENCH").put("id", id).put("data", new JsonObject());
    return async.computeIfAbsent(port, p -> HubbubHttp.create(vertx, "127.0.0.1", p, 64))
      .post("/api/streams/" + stream + "/events", token, event)
      .timeout(15, TimeUnit.SECONDS);
  }

  private Response get(int port, String path, String token) throws Exception {
    return send(port, HttpMethod.GET, path, token, null);
  }

  private Response send(int port, HttpMethod method, String path, String token, JsonObject body) throws Exception {
    return new BlockingHttp("127.0.0.1", port, Duration.ofSeconds(15)).send(method, path, token, body);
  }

  private static double ms(Histogram nanos, double percentile) {
    return nanos.getValueAtPercentile(percentile) / 1e6;
  }
}
