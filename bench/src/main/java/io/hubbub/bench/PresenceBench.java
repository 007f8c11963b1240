package io.hubbub.bench;

import io.hubbub.client.BlockingHttp;
import io.hubbub.client.BridgeClient;
import io.hubbub.client.PresenceView;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * Presence of one room at scale, against the jar as deployed (embedded store inside). Each member is a raw
 * bridge WebSocket that joins the room and registers for its presence, keeping a {@link PresenceView}; every
 * presence frame's bytes are counted.
 *
 * <ul>
 *   <li>{@code one-by-one}: members come one after another (each once the one before has its snapshot):
 *       presence frames and bytes sent in all and per member;</li>
 *   <li>{@code storm}: members come all at once, then every socket closes and all reconnect at once (what a
 *       deploy does to every page): for each phase the time until every member sees the right count, the frames
 *       and bytes per member, the server's CPU and its heap after a full GC; meanwhile {@code /ready} and a
 *       publish are probed every 250 ms and their slowest answer reported.</li>
 * </ul>
 *
 * <pre>java -jar bench/target/hubbub-bench.jar presence [sequential=100,300] [storm=1000,5000]</pre>
 */
final class PresenceBench {

  private static final int LOOPBACK_ADDRESSES = 4;
  private static final int PARALLEL = 200;
  private static final String ROOM = "storm";

  private final Vertx vertx = Vertx.vertx();
  private final AtomicLong frames = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  /** Error frames on the presence address, by code: a bench that does not settle says why. */
  private final java.util.Map<Integer, AtomicLong> refusals = new java.util.concurrent.ConcurrentHashMap<>();

  static void run(List<Integer> sequential, List<Integer> storms) throws Exception {
    new PresenceBench().runAll(sequential, storms);
  }

  private void runAll(List<Integer> sequential, List<Integer> storms) throws Exception {
    try {
      Results results = new Results("presence", new JsonObject().put("sequential", sequential.toString()).put("storm", storms.toString()),
        List.of("scenario", "members", "frames", "KB", "bytes/member", "seconds to right count", "server CPU s", "heap MB",
          "slowest probe ms"));
      for (int n : sequential) {
        scenario(results, "one-by-one", n, false);
      }
      for (int n : storms) {
        scenario(results, "storm", n, true);
      }
      results.finish();
    } finally {
      vertx.close().await(60, TimeUnit.SECONDS);
    }
  }

  private void scenario(Results results, String name, int members, boolean storm) throws Exception {
    Path dir = Files.createTempDirectory("hubbub-presence");
    JsonObject conf = new JsonObject(Files.readString(Path.of("conf", "hubbub.json")));
    conf.getJsonObject("http").put("port", 0);
    conf.getJsonObject("mongo").put("dataDir", dir.resolve("data").toString());
    conf.getJsonObject("auth").put("passwordIterations", 1_000)
      .put("throttle", new JsonObject().put("perUser", 1_000_000).put("perAddress", 1_000_000));
    try (Server server = Server.hubbub(dir, conf, List.of("-Xmx1g"))) {
      int port = server.port();
      List<String> tokens = tokens(port, members);
      Probe probe = new Probe(port, Sessions.token(port));
      List<BridgeClient> sockets = new ArrayList<>();
      List<PresenceView> views = new ArrayList<>();
      long cpu = server.cpuNanos();
      long started = System.nanoTime();
      reset();
      if (storm) {
        connectAll(port, tokens, sockets, views, true);
        double seconds = until(views, members, started);
        results.add(name + ": all join", members, frames.get(), bytes.get() / 1024.0, bytes.get() / (double) members, seconds,
          (server.cpuNanos() - cpu) / 1e9, server.heapAfterGc() / 1_048_576.0, probe.slowestAndReset());
        // every socket drops, every page reconnects at once
        List<Future<Void>> closing = new ArrayList<>();
        sockets.forEach(socket -> closing.add(socket.close()));
        Future.all(closing).await(120, TimeUnit.SECONDS);
        sockets.clear();
        views.clear();
        cpu = server.cpuNanos();
        started = System.nanoTime();
        reset();
        connectAll(port, tokens, sockets, views, false); // members already: pages only register again
        seconds = until(views, members, started);
        results.add(name + ": all reconnect", members, frames.get(), bytes.get() / 1024.0, bytes.get() / (double) members, seconds,
          (server.cpuNanos() - cpu) / 1e9, server.heapAfterGc() / 1_048_576.0, probe.slowestAndReset());
      } else {
        for (int i = 0; i < members; i++) {
          connect(port, i, tokens.get(i), sockets, views, true).await(60, TimeUnit.SECONDS);
          PresenceView view = views.get(i);
          waitFor(view::inStep, 30_000); // its snapshot came: the next member comes
        }
        double seconds = until(views, members, started);
        results.add(name, members, frames.get(), bytes.get() / 1024.0, bytes.get() / (double) members, seconds,
          (server.cpuNanos() - cpu) / 1e9, server.heapAfterGc() / 1_048_576.0, probe.slowestAndReset());
      }
      probe.stop();
      List<Future<Void>> closing = new ArrayList<>();
      sockets.forEach(socket -> closing.add(socket.close()));
      Future.all(closing).await(120, TimeUnit.SECONDS);
    }
  }

  private void reset() {
    frames.set(0);
    bytes.set(0);
  }

  /** Members {@code m0…}, signed up and logged in, several at a time. */
  private static List<String> tokens(int port, int members) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<String>> made = IntStream.range(0, members)
        .mapToObj(i -> pool.submit(() -> BlockingHttp.local(port).signUpAndLogin("m" + i, "member-password-" + i))).toList();
      List<String> tokens = new ArrayList<>();
      for (java.util.concurrent.Future<String> token : made) {
        tokens.add(token.get(120, TimeUnit.SECONDS));
      }
      return tokens;
    } finally {
      pool.shutdown();
    }
  }

  private void connectAll(int port, List<String> tokens, List<BridgeClient> sockets, List<PresenceView> views, boolean join)
    throws Exception {
    for (int from = 0; from < tokens.size(); from += PARALLEL) {
      List<Future<Void>> batch = new ArrayList<>();
      for (int i = from; i < Math.min(tokens.size(), from + PARALLEL); i++) {
        batch.add(connect(port, i, tokens.get(i), sockets, views, join));
      }
      Future.all(batch).await(120, TimeUnit.SECONDS);
    }
  }

  /** A member's socket: it joins the room (the first time), then follows its presence, counting what presence sends it. */
  private Future<Void> connect(int port, int i, String token, List<BridgeClient> sockets, List<PresenceView> views, boolean join) {
    String host = "127.0.0." + (1 + i % LOOPBACK_ADDRESSES);
    return BridgeClient.connect(vertx, host, port, 64 * 1024).compose(client -> {
      client.token(token).keepFrames(false).pingEvery(vertx, 5_000);
      synchronized (sockets) {
        sockets.add(client);
      }
      Future<JsonObject> joined = join ? client.request("chat.join", new JsonObject().put("room", ROOM))
        : Future.succeededFuture(new JsonObject());
      return joined.map(member -> {
        PresenceView view = PresenceView.follow(client, ROOM, changed -> { }, frame -> {
          frames.incrementAndGet();
          bytes.addAndGet(frame.encode().length());
          if ("err".equals(frame.getString("type"))) {
            refusals.computeIfAbsent(frame.getInteger("failureCode", -1), c -> new AtomicLong()).incrementAndGet();
          }
        });
        synchronized (views) {
          views.add(view);
        }
        return null;
      });
    });
  }

  /** Seconds from {@code started} until every view shows all members. */
  private double until(List<PresenceView> views, int members, long started) throws Exception {
    try {
      waitFor(() -> {
        synchronized (views) {
          return views.size() == members && views.stream().allMatch(v -> v.inStep() && v.count() == members);
        }
      }, 300_000);
    } catch (IllegalStateException e) {
      synchronized (views) {
        List<PresenceView> off = views.stream().filter(v -> !v.inStep() || v.count() != members).toList();
        throw new IllegalStateException(e.getMessage() + ": " + views.size() + " views, " + off.size() + " not right, e.g. "
          + off.stream().limit(5).map(PresenceView::toString).toList() + "; presence frames " + frames.get()
          + ", refusals by code " + refusals, e);
      }
    }
    return (System.nanoTime() - started) / 1e9;
  }

  private static void waitFor(java.util.function.BooleanSupplier done, long timeoutMs) throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!done.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("presence did not settle in " + timeoutMs + " ms");
      }
      Thread.sleep(20);
    }
  }

  /** {@code /ready} and a publish every 250 ms from another thread: the slowest answer since the last look. */
  private static final class Probe {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final AtomicLong slowest = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    Probe(int port, String token) {
      IntPredicate ok = status -> status < 300;
      thread = new Thread(() -> {
        int n = 0;
        while (running) {
          try {
            long t0 = System.nanoTime();
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready"))
              .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> published = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/api/streams/app.probe/events")).timeout(Duration.ofSeconds(30))
              .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"PROBE\",\"data\":{\"n\":" + n++ + "}}")).build(),
              HttpResponse.BodyHandlers.ofString());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            slowest.accumulateAndGet(ok.test(ready.statusCode()) && ok.test(published.statusCode()) ? ms : Long.MAX_VALUE / 2, Math::max);
            Thread.sleep(250);
          } catch (InterruptedException e) {
            return;
          } catch (Exception e) {
            slowest.set(Long.MAX_VALUE / 2);
          }
        }
      }, "presence-probe");
      thread.setDaemon(true);
      thread.start();
    }

    long slowestAndReset() {
      return slowest.getAndSet(0);
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(5_000);
    }
  }
}
