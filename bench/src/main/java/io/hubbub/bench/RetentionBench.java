package io.hubbub.bench;

import io.hubbub.Node;
import io.hubbub.client.HubbubHttp;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * What retention costs the appends and reads it runs beside: the same load (publishers each on their own stream,
 * one event at a time, and one reader paging the newest events of those streams) on a node whose {@code app}
 * namespace keeps everything, then on one that keeps each stream's newest {@code keep} events and sweeps every
 * second (so it drops buckets all along), alternating, {@code rounds} times (the JIT warms up over the first
 * minutes: compare neighbouring runs). Each run on a fresh database of the same embedded store, after a warm-up run.
 *
 * <pre>java -jar bench/target/hubbub-bench.jar retention [seconds=20] [publishers=16] [keep=500] [rounds=2]</pre>
 */
final class RetentionBench {

  private RetentionBench() {
  }

  static void run(int seconds, int publishers, int keep, int rounds) throws Exception {
    try (BenchStore bench = BenchStore.start("hubbub-bench")) {
      System.out.printf("hubbub retention benchmark: %d s per run, %d publishers, keep %d events per stream%n", seconds, publishers, keep);
      Results results = new Results("retention", new JsonObject().put("seconds", seconds).put("publishers", publishers)
        .put("keep", keep), List.of("run", "events/s", "read p50 ms", "read p99 ms", "reads", "buckets left"));
      once(bench, "warm-up (not counted)", 0, seconds, publishers, keep);
      for (int round = 1; round <= rounds; round++) {
        results.add(once(bench, "round " + round + ": keep everything", 2 * round - 1, seconds, publishers, null));
        results.add(once(bench, "round " + round + ": keep " + keep + ", sweep every 1 s", 2 * round, seconds, publishers, keep));
      }
      results.finish();
    }
  }

  private static Object[] once(BenchStore bench, String label, int run, int seconds, int publishers, Integer keep) throws Exception {
    Vertx vertx = bench.vertx;
    int port = BenchStore.freePort();
    JsonObject conf = bench.conf(port);
    conf.getJsonObject("mongo").put("database", "retention-" + run);
    conf.getJsonObject("storage").put("retentionSweepSeconds", 1);
    if (keep != null) {
      conf.getJsonObject("namespaces").getJsonObject("app").put("retention", new JsonObject().put("maxEvents", keep));
    }
    Node node = Node.start(vertx, conf).await(60, TimeUnit.SECONDS);
    HubbubHttp http = HubbubHttp.create(vertx, "127.0.0.1", port, publishers + 1);
    String token = Sessions.token(port);
    AtomicLong acks = new AtomicLong();
    Histogram reads = new Histogram(3); // microseconds
    long end = System.currentTimeMillis() + seconds * 1000L;
    long start = System.nanoTime();
    List<Future<Void>> loops = new ArrayList<>(IntStream.range(0, publishers)
      .mapToObj(p -> AppendBench.httpLoop(http, token, "app.kept-" + p, end, acks)).toList());
    loops.add(read(http, token, publishers, end, reads, 0));
    Future.all(loops).await(seconds + 60L, TimeUnit.SECONDS);
    double rate = acks.get() / ((System.nanoTime() - start) / 1e9);
    http.close().await(10, TimeUnit.SECONDS);
    long buckets = bench.count("retention-" + run, "buckets");
    node.undeploy().await(60, TimeUnit.SECONDS);
    double p50 = reads.getValueAtPercentile(50) / 1000.0;
    double p99 = reads.getValueAtPercentile(99) / 1000.0;
    System.out.printf("  %s: %,.0f events/s, reads p50 %.1f ms, p99 %.1f ms (%d reads), %d buckets left%n",
      label, rate, p50, p99, reads.getTotalCount(), buckets);
    return new Object[] {label, rate, p50, p99, reads.getTotalCount(), buckets};
  }

  /** Pages of the newest 100 events of each stream in turn: what a dashboard or a reconnecting client reads. */
  private static Future<Void> read(HubbubHttp http, String token, int streams, long end, Histogram micros, int n) {
    if (System.currentTimeMillis() >= end) {
      return Future.succeededFuture();
    }
    String stream = "app.kept-" + n % streams;
    long started = System.nanoTime();
    return http.request(HttpMethod.GET, "/api/streams/" + stream, token, null)
      .compose(info -> {
        long from = Math.max(1, info.json().getLong("lastSeq", 0L) - 99);
        return http.request(HttpMethod.GET, "/api/streams/" + stream + "/events?limit=100&from=" + from, token, null);
      })
      .compose(page -> {
        if (page.status() != 200) {
          return Future.failedFuture("HTTP " + page.status());
        }
        micros.recordValue(Math.max(1, (System.nanoTime() - started) / 1000));
        return read(http, token, streams, end, micros, n + 1);
      });
  }
}
