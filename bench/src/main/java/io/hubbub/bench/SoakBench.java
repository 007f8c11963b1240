package io.hubbub.bench;

import io.hubbub.client.HubbubHttp;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Does the embedded store's file stop growing under a steady load with retention? Hubbub runs as deployed (its jar,
 * its own process, the embedded store inside) with the {@code app} namespace keeping {@code retention} seconds of
 * events; publishers append at a steady {@code rate} to {@code streams} streams for {@code minutes}; every
 * {@code sampleSeconds} the data file's size, the server's resident memory and the events acknowledged so far are
 * noted. Once retention drops as much as comes in, the size should level off.
 *
 * <pre>java -jar bench/target/hubbub-bench.jar soak [minutes=20] [rate=200] [streams=16] [retention=120] [sampleSeconds=15]</pre>
 */
final class SoakBench {

  private static final String DATA = "x".repeat(180);

  private SoakBench() {
  }

  static void run(int minutes, int rate, int streams, int retention, int sampleSeconds) throws Exception {
    Path dir = Files.createTempDirectory("hubbub-soak");
    Path data = dir.resolve("data");
    JsonObject conf = new JsonObject(Files.readString(Path.of("conf", "hubbub.json")));
    conf.getJsonObject("http").put("port", 0);
    conf.getJsonObject("mongo").put("dataDir", data.toString());
    conf.getJsonObject("auth").put("passwordIterations", 1_000);
    conf.getJsonObject("storage").put("retentionSweepSeconds", 10);
    conf.getJsonObject("namespaces").getJsonObject("app").put("retention", new JsonObject().put("maxAgeSeconds", retention));
    System.out.printf("hubbub soak: %d min at %d events/s over %d streams, app keeps %d s, a sample every %d s%n",
      minutes, rate, streams, retention, sampleSeconds);
    Vertx vertx = Vertx.vertx();
    try (Server server = Server.hubbub(dir, conf, List.of("-Xmx512m"))) {
      int port = server.port();
      server.awaitStarted();
      String token = Sessions.token(port);
      HubbubHttp http = HubbubHttp.create(vertx, "127.0.0.1", port, 64);
      Results results = new Results("soak", new JsonObject().put("minutes", minutes).put("rate", rate).put("streams", streams)
        .put("retentionSeconds", retention), List.of("minute", "file MB", "rss MB", "events acked", "failures"));
      AtomicLong acked = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      AtomicLong sent = new AtomicLong();
      long start = System.nanoTime();
      long tickMs = 50;
      long perTick = Math.max(1, rate * tickMs / 1000);
      long timer = vertx.setPeriodic(tickMs, t -> {
        // steady: what the rate says by now, whatever the last ticks managed
        long due = (System.nanoTime() - start) / 1_000_000 * rate / 1000;
        for (long n = sent.get(); n < due && n < sent.get() + 4 * perTick; n++) {
          long i = sent.incrementAndGet();
          JsonObject event = new JsonObject().put("type", "SOAK").put("data", new JsonObject().put("text", DATA).put("i", i));
          http.request(HttpMethod.POST, "/api/streams/app.soak-" + i % streams + "/events", token, event)
            .onSuccess(r -> (r.status() == 201 ? acked : failed).incrementAndGet())
            .onFailure(e -> failed.incrementAndGet());
        }
      });
      long end = start + TimeUnit.MINUTES.toNanos(minutes);
      while (true) {
        double minute = (System.nanoTime() - start) / 60e9;
        double fileMb = Files.size(data.resolve("hubbub.mv.db")) / 1e6;
        double rssMb = server.rssBytes() / 1e6;
        results.add(Math.round(minute * 100) / 100.0, Math.round(fileMb * 10) / 10.0, Math.round(rssMb), acked.get(), failed.get());
        System.out.printf("  %6.2f min: file %8.1f MB, rss %6.0f MB, %,d events acked, %d failed%n", minute, fileMb, rssMb, acked.get(), failed.get());
        if (System.nanoTime() >= end) {
          break;
        }
        Thread.sleep(sampleSeconds * 1000L);
      }
      vertx.cancelTimer(timer);
      http.close().await(10, TimeUnit.SECONDS);
      results.finish();
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
      BenchStore.deleteTree(dir);
    }
  }
}
