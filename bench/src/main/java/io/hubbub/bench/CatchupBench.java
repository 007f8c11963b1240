package io.hubbub.bench;

import io.hubbub.Node;
import io.hubbub.bus.StorageBus;
import io.hubbub.client.BridgeClient;
import io.hubbub.client.HubbubHttp;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Catch-up: a client reading 100,000 events of history page by page (1,000 a page, each page asked for
 * when the last arrived, as hubbub.js does), over HTTP and over the bridge, from the start of a long
 * stream and from seq 1,000,001. The stream (1,100,000 events of 200-byte data) is appended first,
 * 1,000 events a request.
 *
 * <pre>java -jar bench/target/hubbub-bench.jar catchup [events=1100000] [read=100000]</pre>
 */
public final class CatchupBench {

  private static final String STREAM = "app.long";
  private static final String DATA = "x".repeat(180);
  private static final int PAGE = StorageBus.MAX_READ_LIMIT;

  static void run(long events, long read) throws Exception {
    try (BenchStore bench = BenchStore.start("hubbub-catchup")) {
      Vertx vertx = bench.vertx;
      int port = BenchStore.freePort();
      Node node = Node.start(vertx, bench.conf(port)).await(60, TimeUnit.SECONDS);
      String token = Sessions.token(port);
      fill(vertx, events);
      long jsonBytes = jsonBytes(vertx, STREAM, events);
      long fileAfterFill = java.nio.file.Files.size(bench.file());
      HubbubHttp http = HubbubHttp.local(vertx, port);
      BridgeClient bridge = BridgeClient.connect(vertx, port).await(30, TimeUnit.SECONDS).token(token).keepFrames(false)
        .pingEvery(vertx, 5_000);
      Results results = new Results("catchup", new JsonObject().put("events", events).put("read", read).put("page", PAGE),
        List.of("over", "from", "events", "seconds", "events/s"));
      long far = events - read + 1;
      for (int round = 0; round < 2; round++) { // the first round warms up
        for (long from : List.of(1L, far)) {
          long t0 = System.nanoTime();
          long got = readHttp(http, token, from, read);
          double s = (System.nanoTime() - t0) / 1e9;
          if (round == 1) {
            results.add("HTTP", String.format("%,d", from), got, s, got / s);
          }
          t0 = System.nanoTime();
          got = readBridge(bridge, from, read);
          s = (System.nanoTime() - t0) / 1e9;
          if (round == 1) {
            results.add("bridge", String.format("%,d", from), got, s, got / s);
          }
        }
      }
      long fileAtEnd = java.nio.file.Files.size(bench.file());
      // small buckets: 64 publishers, each on its own stream, one event at a time (what a group commit makes of them)
      long smallJson = fillSmall(vertx, 64, 1_000);
      long fileAfterSmall = java.nio.file.Files.size(bench.file());
      System.out.printf("disk, one-event appends: 64,000 events are %,d bytes of JSON; the file grew by %,d bytes (%.2fx)%n",
        smallJson, fileAfterSmall - fileAtEnd, (fileAfterSmall - fileAtEnd) / (double) smallJson);
      results.add("disk: file growth / JSON", "one-event appends", 64_000L, 0.0, (fileAfterSmall - fileAtEnd) / (double) smallJson);
      System.out.printf("%ndisk: %,d events are %,d bytes of JSON as readers get them; the store's file holds %,d bytes after "
          + "appending them (%.2fx) and %,d bytes after the reads (%.2fx)%n", events, jsonBytes, fileAfterFill,
        fileAfterFill / (double) jsonBytes, fileAtEnd, fileAtEnd / (double) jsonBytes);
      results.add("disk: store file / JSON", "after appending", events, 0.0, fileAfterFill / (double) jsonBytes);
      results.finish();
      bridge.close().await(10, TimeUnit.SECONDS);
      node.undeploy().await(60, TimeUnit.SECONDS);
    }
  }

  /** Appends the stream through storage, a thousand events a request. */
  private static void fill(Vertx vertx, long events) throws Exception {
    long t0 = System.nanoTime();
    for (long first = 1; first <= events; first += PAGE) {
      JsonArray batch = new JsonArray();
      for (long seq = first; seq < Math.min(events + 1, first + PAGE); seq++) {
        batch.add(new JsonObject().put("stream", STREAM).put("type", "BENCH").put("data", new JsonObject().put("n", seq).put("text", DATA))
          .put("by", "bench"));
      }
      StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.APPEND, StorageBus.Append.of(batch), 60_000)
        .await(60, TimeUnit.SECONDS);
      if (first % 100_000 == 1) {
        System.out.printf("  appended %,d of %,d%n", first - 1, events);
      }
    }
    System.out.printf("  appended %,d events in %.1f s%n", events, (System.nanoTime() - t0) / 1e9);
  }

  /**
   * {@code streams} publishers, each appending {@code each} events to its own stream one at a time; returns the
   * JSON size of what they stored.
   */
  private static long fillSmall(Vertx vertx, int streams, int each) throws Exception {
    List<io.vertx.core.Future<Long>> loops = new java.util.ArrayList<>();
    for (int p = 0; p < streams; p++) {
      String stream = "app.small-" + p;
      io.vertx.core.Future<Long> loop = io.vertx.core.Future.succeededFuture(0L);
      for (int i = 0; i < each; i++) {
        JsonArray one = new JsonArray().add(new JsonObject().put("stream", stream).put("type", "BENCH")
          .put("data", new JsonObject().put("n", i).put("text", DATA)).put("by", "bench"));
        loop = loop.compose(bytes -> StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.APPEND,
          StorageBus.Append.of(one), 60_000).map(ack -> bytes));
      }
      loops.add(loop);
    }
    io.vertx.core.Future.all(loops).await(600, TimeUnit.SECONDS);
    long bytes = 0;
    for (int p = 0; p < streams; p++) {
      bytes += jsonBytes(vertx, "app.small-" + p, each);
    }
    return bytes;
  }

  /** A page of a stream from a seq: {@code {events, next}}. */
  private interface Pages {
    JsonObject from(long seq) throws Exception;
  }

  /** Reads pages one after the other from {@code from}, until {@code count} events or the end; returns how many. */
  private static long readPages(long from, long count, Pages pages, java.util.function.Consumer<JsonObject> onEvent)
    throws Exception {
    long got = 0;
    long next = from;
    while (got < count) {
      JsonObject page = pages.from(next);
      JsonArray list = page.getJsonArray("events");
      if (list.isEmpty()) {
        break;
      }
      list.forEach(e -> onEvent.accept((JsonObject) e));
      got += list.size();
      next = page.getLong("next");
    }
    return got;
  }

  /** Pages read straight from storage. */
  private static Pages storage(Vertx vertx, String stream) {
    return seq -> StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.READ,
      new StorageBus.Read(stream, seq, PAGE), 60_000).await(60, TimeUnit.SECONDS).toJson();
  }

  /** The JSON size of events as readers get them. */
  private static long jsonBytes(Vertx vertx, String stream, long events) throws Exception {
    long[] bytes = {0};
    readPages(1, events, storage(vertx, stream), e -> bytes[0] += e.toBuffer().length());
    return bytes[0];
  }

  private static long readHttp(HubbubHttp http, String token, long from, long count) throws Exception {
    return readPages(from, count, seq -> http.call(HttpMethod.GET, "/api/streams/" + STREAM + "/events?from=" + seq + "&limit=" + PAGE,
      token, null).await(60, TimeUnit.SECONDS), e -> { });
  }

  /** streams.read over the bridge, one page at a time. */
  private static long readBridge(BridgeClient bridge, long from, long count) throws Exception {
    return readPages(from, count, seq -> bridge.request("streams.read",
      new JsonObject().put("stream", STREAM).put("from", seq).put("limit", PAGE)).await(60, TimeUnit.SECONDS), e -> { });
  }
}
