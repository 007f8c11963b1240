import io.hubbub.embedded.EmbeddedStore;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.BulkOperation;
import io.vertx.ext.mongo.IndexOptions;
import io.vertx.ext.mongo.MongoClient;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a one-event bucket costs the embedded store under each layout of the ids index (the 64-on-64 shape of
 * {@code append}): buckets of one event over 64 streams, 26 to a bulk write, inserted through vertx-mongo-client into
 * the embedded store in this process, with the {@code sids} index {@code own} (not sparse, each bucket's own key in
 * it, as stores made before 2026-12-08) or {@code sparse} (no {@code sids} in a bucket without a given id). It prints
 * the process's CPU a bucket (store and client together) over the buckets after a quarter as many of warm-up. Run
 * the two layouts alternated, a few times each: this machine's speed swings by a quarter within minutes.
 *
 * <p>A single-file program: {@code java -cp verticles/target/hubbub.jar bench/micro/BucketInsertBench.java sparse
 * 200000} after {@code mvn -q install -DskipTests}.
 */
public class BucketInsertBench {

  private static final int STREAMS = 64;
  private static final int PER_WRITE = 26;

  public static void main(String[] args) throws Exception {
    boolean own = args.length > 0 && args[0].equals("own");
    int buckets = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
    Path dir = Files.createTempDirectory("bucket-insert-bench");
    EmbeddedStore store = EmbeddedStore.start(dir);
    Vertx vertx = Vertx.vertx();
    try {
      MongoClient db = MongoClient.create(vertx, new JsonObject().put("connection_string", store.uri()).put("db_name", "b"));
      db.createIndexWithOptions("buckets", new JsonObject().put("sids", 1),
        new IndexOptions().unique(true).sparse(!own).name("stream_ids")).await(10, TimeUnit.SECONDS);
      com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      String text = "x".repeat(150);
      long[] seqs = new long[STREAMS];
      int warmup = buckets / 4;
      long cpu = 0;
      long wall = 0;
      int stream = 0;
      for (int done = 0; done < warmup + buckets; ) {
        if (done >= warmup && wall == 0) {
          cpu = os.getProcessCpuTime();
          wall = System.nanoTime();
        }
        List<BulkOperation> inserts = new ArrayList<>(PER_WRITE);
        for (int i = 0; i < PER_WRITE; i++, done++, stream = (stream + 1) % STREAMS) {
          long seq = ++seqs[stream];
          String name = "bench-64-64-" + stream;
          String digits = Long.toString(seq);
          String id = name + "|" + "0".repeat(19 - digits.length()) + digits;
          JsonObject bucket = new JsonObject().put("_id", id).put("stream", name).put("first", seq).put("last", seq)
            .put("ts", "2026-12-08T01:00:00.000Z");
          if (own) {
            bucket.put("sids", new JsonArray().add("|" + id));
          }
          bucket.put("events", new JsonArray().add(new JsonObject().put("seq", seq).put("id", "m" + seq).put("type", "BENCH")
            .put("data", new JsonObject().put("text", text)).put("by", "bench").put("ts", "2026-12-08T01:00:00.000Z")));
          inserts.add(BulkOperation.createInsert(bucket));
        }
        db.bulkWrite("buckets", inserts).await(30, TimeUnit.SECONDS);
      }
      cpu = os.getProcessCpuTime() - cpu;
      wall = System.nanoTime() - wall;
      System.out.printf("%s: %,d buckets, %.1f µs of CPU each, %,.0f/s%n", own ? "own keys" : "sparse", buckets,
        cpu / 1e3 / buckets, buckets / (wall / 1e9));
      db.close().await(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
      store.close();
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
