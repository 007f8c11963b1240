package io.hubbub.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Connections: N idle raw bridge WebSockets, each registered for one live stream (of 100) and pinging
 * every 5 s as clients do, held open against a Hubbub process with a 1 GiB heap; after each step the
 * server's heap after a full GC (jcmd) and its resident memory, in all and per connection above the
 * idle server. The server is the jar as deployed (embedded store inside); the client side spreads its
 * connections over 127.0.0.1–4, so the client port range is not the bound (the processes' open-file limit is).
 *
 * <pre>java -jar bench/target/hubbub-bench.jar connections [steps=1000,5000,10000]</pre>
 */
public final class ConnectionsBench {

  private static final int PARALLEL_CONNECTS = 100;
  private static final int LOOPBACK_ADDRESSES = 4;

  static void run(List<Integer> steps) throws Exception {
    Path dir = Files.createTempDirectory("hubbub-connections");
    Vertx vertx = Vertx.vertx();
    JsonObject conf = new JsonObject(Files.readString(Path.of("conf", "hubbub.json")));
    conf.getJsonObject("http").put("port", 0);
    conf.getJsonObject("mongo").put("dataDir", dir.resolve("data").toString());
    conf.getJsonObject("auth").put("passwordIterations", 1_000);
    try (Server server = Server.hubbub(dir, conf, List.of("-Xmx1g"))) {
      int port = server.port();
      String token = Sessions.token(port);
      String register = "{\"type\":\"register\",\"address\":\"streams.live.app.idle-%d\",\"headers\":{\"authorization\":\"Bearer "
        + token + "\"}}";
      Results results = new Results("connections", new JsonObject().put("steps", steps.toString()).put("heap", "-Xmx1g"),
        List.of("connections", "heap MB", "rss MB", "heap bytes/conn", "rss bytes/conn"));
      Thread.sleep(2_000);
      long baseHeap = server.heapAfterGc();
      long baseRss = server.rssBytes();
      results.add(0, baseHeap / 1_048_576.0, baseRss / 1_048_576.0, 0.0, 0.0);
      WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(100_000));
      List<WebSocket> open = new ArrayList<>();
      long pinger = vertx.setPeriodic(5_000, t -> {
        synchronized (open) {
          open.forEach(ws -> ws.writeTextMessage("{\"type\":\"ping\"}"));
        }
      });
      for (int target : steps) {
        while (open.size() < target) {
          List<Future<WebSocket>> batch = new ArrayList<>();
          for (int i = 0; i < PARALLEL_CONNECTS && open.size() + batch.size() < target; i++) {
            int n = open.size() + batch.size();
            // spread over loopback addresses: each holds one client port range (~28k) of its own
            String host = "127.0.0." + (1 + n % LOOPBACK_ADDRESSES);
            batch.add(client.connect(port, host, "/eventbus/websocket")
              .onSuccess(ws -> ws.writeTextMessage(String.format(register, n % 100))));
          }
          Future.all(batch).await(60, TimeUnit.SECONDS);
          synchronized (open) {
            batch.forEach(f -> open.add(f.result()));
          }
        }
        Thread.sleep(6_000); // registrations settle, a round of pings goes by
        long heap = server.heapAfterGc();
        long rss = server.rssBytes();
        results.add(target, heap / 1_048_576.0, rss / 1_048_576.0, (heap - baseHeap) / (double) target,
          (rss - baseRss) / (double) target);
      }
      vertx.cancelTimer(pinger);
      results.finish();
      client.close().await(60, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(60, TimeUnit.SECONDS);
      BenchStore.deleteTree(dir);
    }
  }
}
