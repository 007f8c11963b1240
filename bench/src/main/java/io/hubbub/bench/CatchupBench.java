package io.hubbub.bench;

import io.hubbub.bus.StorageBus;
import io.hubbub.client.BridgeClient;
import io.hubbub.client.HubbubHttp;
import io.hubbub.embedded.EmbeddedStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Catch-up: a client reading 100,000 events of history page by page (1,000 a page, each page asked for
 * when the last arrived, as hubbub.js does), over HTTP and over the bridge, from the start of a long
 * stream and from seq 1,000,001. The stream (1,100,000 events of 200-byte data) is appended first,
 * 1,000 events a request; the same reads are made untimed for {@code warmup} seconds before the timed ones (the JIT
 * compiles the read path for tens of seconds). Hubbub runs as deployed: its jar in a process of its own, the embedded
 * store inside.
 *
 * <pre>java -jar bench/target/hubbub-bench.jar catchup [events=1100000] [read=100000] [warmup=40]</pre>
 */
public final class CatchupBench {

  private static final String STREAM = "app.long";
  private static final String DATA = "x".repeat(180);
  private static final int PAGE = StorageBus.MAX_READ_LIMIT;

  static void run(long events, long read, int warmupSeconds) throws Exception {
    Path dir = Files.createTempDirectory("hubbub-catchup");
    Path file = dir.resolve("data").resolve(EmbeddedStore.FILE_NAME);
    JsonObject conf = new JsonObject(Files.readString(Path.of("conf", "hubbub.json")));
    conf.getJsonObject("http").put("port", 0);
    conf.getJsonObject("mongo").put("dataDir", dir.resolve("data").toString());
    conf.getJsonObject("auth").put("passwordIterations", 1_000);
    Vertx vertx = Vertx.vertx();
    try (Server server = Server.hubbub(dir, conf, List.of("-Xmx1g"))) {
      int port = server.port();
      server.awaitStarted();
      String token = Sessions.token(port);
      HubbubHttp http = HubbubHttp.local(vertx, port);
      fill(http, token, events);
      long jsonBytes = jsonBytes(http, token, STREAM, events);
      long fileAfterFill = Files.size(file);
      BridgeClient bridge = BridgeClient.connect(vertx, port).await(30, TimeUnit.SECONDS).token(token).keepFrames(false)
        .pingEvery(vertx, 5_000);
      Results results = new Results("catchup",
        new JsonObject().put("events", events).put("read", read).put("warmup", warmupSeconds).put("page", PAGE),
        List.of("over", "from", "events", "seconds", "events/s", "server cpu us/event"));
      long far = events - read + 1;
      // warm-up: the same reads, untimed, until the JIT has compiled the read path (it does so for tens of seconds)
      long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmupSeconds);
      for (int round = 0; round == 0 || System.nanoTime() < warmEnd; round++) {
        long from = round % 2 == 0 ? 1 : far;
        readHttp(http, token, from, read);
        readBridge(bridge, from, read);
      }
      for (long from : List.of(1L, far)) {
        long t0 = System.nanoTime();
        long cpu0 = server.cpuNanos();
        long got = readHttp(http, token, from, read);
        double s = (System.nanoTime() - t0) / 1e9;
        results.add("HTTP", String.format("%,d", from), got, s, got / s, (server.cpuNanos() - cpu0) / 1e3 / got);
        t0 = System.nanoTime();
        cpu0 = server.cpuNanos();
        got = readBridge(bridge, from, read);
        s = (System.nanoTime() - t0) / 1e9;
        results.add("bridge", String.format("%,d", from), got, s, got / s, (server.cpuNanos() - cpu0) / 1e3 / got);
      }
      long fileAtEnd = Files.size(file);
      // small buckets: 64 publishers, each on its own stream, one event at a time (what a group commit makes of them)
      long smallJson = fillSmall(http, token, 64, 1_000);
      long fileAfterSmall = Files.size(file);
      System.out.printf("disk, one-event appends: 64,000 events are %,d bytes of JSON; the file grew by %,d bytes (%.2fx)%n",
        smallJson, fileAfterSmall - fileAtEnd, (fileAfterSmall - fileAtEnd) / (double) smallJson);
      results.add("disk: file growth / JSON", "one-event appends", 64_000L, 0.0, (fileAfterSmall - fileAtEnd) / (double) smallJson, 0.0);
      System.out.printf("%ndisk: %,d events are %,d bytes of JSON as readers get them; the store's file holds %,d bytes after "
          + "appending them (%.2fx) and %,d bytes after the reads (%.2fx)%n", events, jsonBytes, fileAfterFill,
        fileAfterFill / (double) jsonBytes, fileAtEnd, fileAtEnd / (double) jsonBytes);
      results.add("disk: store file / JSON", "after appending", events, 0.0, fileAfterFill / (double) jsonBytes, 0.0);
      results.finish();
      bridge.close().await(10, TimeUnit.SECONDS);
      http.close().await(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
      BenchStore.deleteTree(dir);
    }
  }

  /** Appends the stream over HTTP, a thousand events a request. */
  private static void fill(HubbubHttp http, String token, long events) throws Exception {
    long t0 = System.nanoTime();
    for (long first = 1; first <= events; first += PAGE) {
      JsonArray batch = new JsonArray();
      for (long seq = first; seq < Math.min(events + 1, first + PAGE); seq++) {
        batch.add(new JsonObject().put("type", "BENCH").put("data", new JsonObject().put("n", seq).put("text", DATA)));
      }
      int status = http.request(HttpMethod.POST, "/api/streams/" + STREAM + "/events", token, batch).await(60, TimeUnit.SECONDS).status();
      if (status != 201) {
        throw new IllegalStateException("appending: HTTP " + status);
      }
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
  private static long fillSmall(HubbubHttp http, String token, int streams, int each) throws Exception {
    List<Future<Long>> loops = new ArrayList<>();
    for (int p = 0; p < streams; p++) {
      String stream = "app.small-" + p;
      Future<Long> loop = Future.succeededFuture(0L);
      for (int i = 0; i < each; i++) {
        JsonObject one = new JsonObject().put("type", "BENCH").put("data", new JsonObject().put("n", i).put("text", DATA));
        loop = loop.compose(bytes -> http.call(HttpMethod.POST, "/api/streams/" + stream + "/events", token, one).map(ack -> bytes));
      }
      loops.add(loop);
    }
    Future.all(loops).await(600, TimeUnit.SECONDS);
    long bytes = 0;
    for (int p = 0; p < streams; p++) {
      bytes += jsonBytes(http, token, "app.small-" + p, each);
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

  /** Pages of a stream over HTTP. */
  private static Pages pages(HubbubHttp http, String token, String stream) {
    return seq -> http.call(HttpMethod.GET, "/api/streams/" + stream + "/events?from=" + seq + "&limit=" + PAGE, token, null)
      .await(60, TimeUnit.SECONDS);
  }

  /** The JSON size of events as readers get them. */
  private static long jsonBytes(HubbubHttp http, String token, String stream, long events) throws Exception {
    long[] bytes = {0};
    readPages(1, events, pages(http, token, stream), e -> bytes[0] += e.toBuffer().length());
    return bytes[0];
  }

  private static long readHttp(HubbubHttp http, String token, long from, long count) throws Exception {
    return readPages(from, count, pages(http, token, STREAM), e -> { });
  }

  /** streams.read over the bridge, one page at a time. */
  private static long readBridge(BridgeClient bridge, long from, long count) throws Exception {
    return readPages(from, count, seq -> bridge.request("streams.read",
      new JsonObject().put("stream", STREAM).put("from", seq).put("limit", PAGE)).await(60, TimeUnit.SECONDS), e -> { });
  }
}
