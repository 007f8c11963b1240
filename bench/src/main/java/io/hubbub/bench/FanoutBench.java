package io.hubbub.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Fan-out: R rooms × M subscribers, a publish-rate sweep up to saturation, against Hubbub (durable
 * appends over the bridge, live delivery to raw bridge WebSockets) and its peer, a Socket.IO 4 server
 * ({@code bench/peers/socketio}: room broadcast; with {@code store=on} after inserting each message into an
 * embedded store this JVM runs), run one after the other in one command. Each server runs in its own process, Hubbub
 * as deployed (its embedded store inside, since 2026-12-01); its CPU time comes from its own counters. The load
 * generator (this JVM) publishes open-loop at the step's rate, one publisher socket per room, and timestamps every message;
 * latency is publish to receive on the subscriber's socket.
 *
 * <pre>java -cp bench/target/hubbub-bench.jar io.hubbub.bench.FanoutBench [rooms=10] [subscribers=20]
 *   [seconds=5] [rates=250,500,1000,2000,4000,8000] [targets=hubbub|socketio|hubbub,socketio] [compression=off|on|both]
 *   [store=off|on] [rounds=1] [warmup=90] [jfr=file: profile the Hubbub server]</pre>
 */
public final class FanoutBench {

  private static final String TEXT = "x".repeat(100);
  private static final int MAX_IN_FLIGHT = 200; // per room: an open-loop publisher still must not queue without bound

  /** What differs between the servers: how to connect, subscribe, publish, and where a message's timestamp is. */
  private interface Protocol {
    String path();

    void opened(WebSocket ws, int room, boolean subscriber);

    void publish(WebSocket ws, int room, long sentNanos);

    /** Handles a frame: a delivery calls {@code delivered} with its timestamp, an ack {@code acked}. */
    void frame(WebSocket ws, String text, int room, boolean subscriber, Consumer<Long> delivered, Runnable acked);

    void ping(WebSocket ws);
  }

  private final Vertx vertx = Vertx.vertx();
  private final Options options;
  private final int rooms;
  private final int subscribers;
  private final int seconds;
  private final int warmup;
  private final List<Integer> rates;
  private final Results results;
  private final Path dir;
  private int run;

  /** The sweep's options (see {@link Bench}); {@code jfr} may be null. */
  record Options(int rooms, int subscribers, int seconds, int warmup, List<Integer> rates, String compression,
                 List<String> targets, boolean store, int rounds, String jfr) {
    JsonObject json() {
      return new JsonObject().put("rooms", rooms).put("subscribers", subscribers).put("seconds", seconds).put("warmup", warmup)
        .put("rates", rates.toString()).put("compression", compression).put("targets", String.join(",", targets))
        .put("store", store ? "on" : "off").put("rounds", rounds).put("jfr", jfr);
    }
  }

  private FanoutBench(Options options, Path dir) {
    this.options = options;
    this.dir = dir;
    this.rooms = options.rooms();
    this.subscribers = options.subscribers();
    this.seconds = options.seconds();
    this.warmup = options.warmup();
    this.rates = options.rates();
    this.results = new Results("fanout", options.json(), List.of("target", "compression", "offered/s", "published/s", "delivered/s", "expected/s",
      "p50 ms", "p99 ms", "p999 ms", "server cpu %", "cpu us/delivery", "server rss MB"));
  }

  static void run(Options options) throws Exception {
    Path dir = Files.createTempDirectory("hubbub-fanout");
    try (BenchStore store = BenchStore.start("hubbub-fanout-store")) {
      FanoutBench bench = new FanoutBench(options, dir);
      bench.run(store);
      bench.vertx.close().await(30, TimeUnit.SECONDS);
    } finally {
      BenchStore.deleteTree(dir);
    }
  }

  private void run(BenchStore store) throws Exception {
    String compression = options.compression();
    List<Boolean> modes = compression.equals("both") ? List.of(false, true) : List.of(compression.equals("on"));
    List<String> targets = options.targets();
    boolean socketIoStore = options.store();
    int rounds = options.rounds();
    System.out.printf("fan-out: %d rooms x %d subscribers, %d s per step, rates %s, peer store %s%n", rooms, subscribers, seconds,
      rates, socketIoStore ? "on" : "off");
    for (int round = 0; round < rounds; round++) {
      for (boolean compressed : modes) {
        for (String target : targets) {
          if (target.equals("hubbub")) {
            List<String> jvm = new ArrayList<>(List.of("-Xmx1g"));
            if (options.jfr() != null) { // a profile of the server: jfr=<file>
              jvm.add("-XX:StartFlightRecording=filename=" + options.jfr() + ",settings=profile");
            }
            try (Server server = Server.hubbub(dir, hubbubConf(store, compressed), jvm)) {
              sweep("hubbub", compressed, server, new Hubbub(Sessions.token(server.port())));
            }
          } else {
            try (Server server = Server.socketIo(socketIoStore ? store.uri() : null, compressed)) {
              sweep("socket.io" + (socketIoStore ? "+store" : ""), compressed, server, new SocketIo());
            }
          }
        }
      }
    }
    results.finish();
  }

  /** Hubbub as deployed: the default conf, its embedded store inside its own process (a fresh data folder each run). */
  private JsonObject hubbubConf(BenchStore store, boolean compressed) throws Exception {
    JsonObject conf = store.conf(0);
    conf.getJsonObject("http").put("websocketCompression", compressed);
    conf.getJsonObject("mongo").put("uri", "").put("dataDir", dir.resolve("data-" + ++run).toString());
    conf.getJsonObject("auth").put("adminPassword", "bench-admin-1");
    return conf; // the default conf's verticles: two gateway instances share the sockets, as users run it
  }

  private void sweep(String target, boolean compressed, Server server, Protocol protocol) throws Exception {
    int port = server.port();
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(100_000)
      .setTryUsePerMessageCompression(compressed).setMaxMessageSize(16 * 1_048_576));
    Recorder recorder = new Recorder(3); // latencies (ns) of the deliveries, from every event loop
    AtomicLong acks = new AtomicLong();
    List<AtomicInteger> inFlight = new ArrayList<>();
    List<WebSocket> publishers = new ArrayList<>();
    List<WebSocket> all = new ArrayList<>();
    for (int room = 0; room < rooms; room++) {
      inFlight.add(new AtomicInteger());
      for (int s = 0; s < subscribers; s++) {
        all.add(connect(client, port, protocol, room, true, sent -> recorder.recordValue(System.nanoTime() - sent), () -> { }));
      }
      AtomicInteger pending = inFlight.get(room);
      WebSocket publisher = connect(client, port, protocol, room, false, t -> { }, () -> {
        pending.decrementAndGet();
        acks.incrementAndGet();
      });
      publishers.add(publisher);
      all.add(publisher);
    }
    long pinger = vertx.setPeriodic(5_000, t -> all.forEach(protocol::ping));
    Thread.sleep(1_000); // registrations and joins have no answer: let them settle
    System.out.printf("%s (compression %s): %d sockets open, pid %d%n", target, compressed ? "on" : "off", all.size(), server.pid());
    // warm-up (the JIT of a fresh server), not recorded
    step(protocol, publishers, inFlight, recorder, acks, rates.get(0), warmup, null, server, target, compressed);
    for (int rate : rates) {
      boolean saturated = step(protocol, publishers, inFlight, recorder, acks, rate, seconds, results, server, target, compressed);
      if (saturated) {
        break;
      }
    }
    vertx.cancelTimer(pinger);
    client.close().await(30, TimeUnit.SECONDS);
  }

  /** One rate for {@code secs} seconds; records a row unless warming up. True when the server did not keep up. */
  private boolean step(Protocol protocol, List<WebSocket> publishers, List<AtomicInteger> inFlight, Recorder recorder,
                       AtomicLong acks, int rate, int secs, Results out, Server server, String target, boolean compressed)
    throws Exception {
    String metricsBefore = out == null ? "" : server.metrics(); // read outside the window's CPU
    recorder.reset(); // what arrived between steps is not this step's
    long acksBefore = acks.get();
    long cpuBefore = server.cpuNanos();
    Map<String, long[]> threadsBefore = server.threadCpu();
    int pauses = server.pauseMark();
    long started = System.nanoTime();
    AtomicLong offered = new AtomicLong();
    double[] credit = {0};
    int[] next = {0};
    long timer = vertx.setPeriodic(10, t -> {
      credit[0] += rate / 100.0;
      while (credit[0] >= 1) {
        credit[0] -= 1;
        int room = next[0]++ % publishers.size();
        offered.incrementAndGet();
        if (inFlight.get(room).get() < MAX_IN_FLIGHT) {
          inFlight.get(room).incrementAndGet();
          protocol.publish(publishers.get(room), room, System.nanoTime());
        }
      }
    });
    Thread.sleep(secs * 1_000L);
    vertx.cancelTimer(timer);
    double wall = (System.nanoTime() - started) / 1e9;
    long cpu = server.cpuNanos() - cpuBefore;
    Map<String, long[]> threadsAfter = server.threadCpu();
    String paused = server.pausesSince(pauses);
    String stored = out == null ? "" : StoreLatency.since(metricsBefore, server.metrics());
    Histogram latencies = recorder.getIntervalHistogram(); // the deliveries since the step began
    long published = acks.get() - acksBefore;
    Thread.sleep(1_500); // what is in flight lands before the next step
    if (out == null) {
      return false;
    }
    long count = latencies.getTotalCount();
    double delivered = count / wall;
    double p99 = latencies.getValueAtPercentile(99) / 1e6;
    out.add(target, compressed ? "on" : "off", (double) rate, published / wall, delivered, rate * (double) subscribers,
      latencies.getValueAtPercentile(50) / 1e6, p99, latencies.getValueAtPercentile(99.9) / 1e6, 100.0 * cpu / (wall * 1e9),
      count == 0 ? 0.0 : cpu / 1e3 / count, server.rssBytes() / 1_048_576.0);
    if (count > 0) { // which of the server's threads the CPU a delivery went to (storage's, the gateway's loops, the JIT)
      System.out.printf("  %s at %,d/s:%n  %s%s%n", target, rate, Server.byThreads(threadsBefore, threadsAfter, count, "delivery"),
        paused);
      if (!stored.isEmpty()) { // how much of a delivery's latency was storage's: from arrival until durable
        System.out.printf("  %s%n", stored.strip());
      }
    }
    return delivered < 0.85 * rate * subscribers || p99 > 1_000;
  }

  private WebSocket connect(WebSocketClient client, int port, Protocol protocol, int room, boolean subscriber,
                            Consumer<Long> delivered, Runnable acked) throws Exception {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(protocol.path());
    // handlers set on the event loop as the connection completes: Socket.IO's server speaks first
    return client.connect(options).map(ws -> {
      ws.textMessageHandler(text -> protocol.frame(ws, text, room, subscriber, delivered, acked));
      ws.binaryMessageHandler(buffer -> protocol.frame(ws, buffer.toString(), room, subscriber, delivered, acked));
      protocol.opened(ws, room, subscriber);
      return ws;
    }).await(30, TimeUnit.SECONDS);
  }

  /** The send timestamp in a frame: the number after {@code "t":}. */
  private static long timestamp(String text) {
    int at = text.indexOf("\"t\":");
    if (at < 0) {
      return -1;
    }
    long value = 0;
    for (int i = at + 4; i < text.length() && Character.isDigit(text.charAt(i)); i++) {
      value = value * 10 + (text.charAt(i) - '0');
    }
    return value;
  }

  private static String data(long sentNanos) {
    return "{\"t\":" + sentNanos + ",\"text\":\"" + TEXT + "\"}";
  }

  /** Hubbub's bridge, raw WebSocket frames: register for the room's live stream, publish with streams.publish. */
  private static final class Hubbub implements Protocol {
    private final String auth;
    private final AtomicLong replies = new AtomicLong();

    Hubbub(String token) {
      this.auth = "{\"authorization\":\"Bearer " + token + "\"}";
    }

    @Override
    public String path() {
      return "/eventbus/websocket";
    }

    @Override
    public void opened(WebSocket ws, int room, boolean subscriber) {
      if (subscriber) {
        ws.writeTextMessage("{\"type\":\"register\",\"address\":\"streams.live.app.room-" + room + "\",\"headers\":" + auth + "}");
      }
    }

    @Override
    public void publish(WebSocket ws, int room, long sentNanos) {
      ws.writeTextMessage("{\"type\":\"send\",\"address\":\"streams.publish\",\"replyAddress\":\"r" + replies.incrementAndGet()
        + "\",\"headers\":" + auth + ",\"body\":{\"stream\":\"app.room-" + room + "\",\"type\":\"MSG\",\"data\":" + data(sentNanos) + "}}");
    }

    @Override
    public void frame(WebSocket ws, String text, int room, boolean subscriber, Consumer<Long> delivered, Runnable acked) {
      if (subscriber) {
        long t = timestamp(text);
        if (t > 0) {
          delivered.accept(t);
        }
      } else {
        acked.run(); // a publisher socket gets only replies
      }
    }

    @Override
    public void ping(WebSocket ws) {
      ws.writeTextMessage("{\"type\":\"ping\"}");
    }
  }

  /** Socket.IO 4 over its WebSocket transport (Engine.IO 4 framing, written out: the bench's one client for both). */
  private static final class SocketIo implements Protocol {
    private final AtomicLong ackIds = new AtomicLong();

    @Override
    public String path() {
      return "/socket.io/?EIO=4&transport=websocket";
    }

    @Override
    public void opened(WebSocket ws, int room, boolean subscriber) {
      // the server speaks first ("0{...}"), answered in frame()
    }

    @Override
    public void publish(WebSocket ws, int room, long sentNanos) {
      ws.writeTextMessage("42" + ackIds.incrementAndGet() + "[\"publish\",{\"room\":\"room-" + room + "\",\"data\":" + data(sentNanos) + "}]");
    }

    @Override
    public void frame(WebSocket ws, String text, int room, boolean subscriber, Consumer<Long> delivered, Runnable acked) {
      if (text.startsWith("0")) {
        ws.writeTextMessage("40"); // connect to the main namespace
      } else if (text.startsWith("40")) {
        if (subscriber) {
          ws.writeTextMessage("42[\"join\",\"room-" + room + "\"]");
        }
      } else if (text.equals("2")) {
        ws.writeTextMessage("3");
      } else if (text.startsWith("42")) {
        long t = timestamp(text);
        if (t > 0) {
          delivered.accept(t);
        }
      } else if (text.startsWith("43")) {
        acked.run();
      }
    }

    @Override
    public void ping(WebSocket ws) {
      // Socket.IO's server pings; the client answers
    }
  }

}
