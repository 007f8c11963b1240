package io.hubbub.gateway;

import io.hubbub.client.Response;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PROTOCOL v1.1 "Limits": a read page stops at limits.maxReadBytes and says where to go on, and one client's
 * parallel large reads are refused past limits.readsInFlight (429) while another user's publish is served.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class ReadLimitsTest {

  private static final int EVENTS = 60;
  private static final int DATA_BYTES = 60_000;
  private static final int MAX_READ_BYTES = 1_048_576;

  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("limits")
    .put("maxReadBytes", MAX_READ_BYTES).put("readsInFlight", 2));
  private TestNode node;
  private String reader;
  private String writer;

  @BeforeEach
  void fill(VertxTestContext ctx) {
    node.user("reader")
      .compose(t -> {
        reader = t;
        return node.user("writer");
      })
      .compose(t -> {
        writer = t;
        Future<Void> filled = Future.succeededFuture();
        for (int batch = 0; batch < EVENTS / 10; batch++) {
          JsonArray events = new JsonArray(IntStream.range(0, 10).mapToObj(i -> (Object) new JsonObject().put("type", "BIG")
            .put("data", new JsonObject().put("s", "x".repeat(DATA_BYTES)))).toList());
          filled = filled.compose(v -> node.post("/api/streams/app.big/events", reader, events).map(r -> {
            if (r.status() != 201) {
              throw new IllegalStateException("fill: " + r.status() + " " + r.body());
            }
            return null;
          }));
        }
        return filled;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void aPageStopsAtMaxReadBytesAndNextGoesOn(VertxTestContext ctx) {
    List<Integer> pageSizes = new ArrayList<>();
    Set<Long> seen = new TreeSet<>();
    readFrom(1, pageSizes, seen).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertEquals(IntStream.rangeClosed(1, EVENTS).mapToObj(i -> (long) i).collect(Collectors.toSet()), seen, "every event once");
      int perPage = MAX_READ_BYTES / (DATA_BYTES + 10);
      assertTrue(pageSizes.size() >= EVENTS / perPage, "pages: " + pageSizes);
      pageSizes.forEach(size -> assertTrue(size >= 1 && size <= perPage, "a page of " + size + " events: " + pageSizes));
      ctx.completeNow();
    })));
  }

  private Future<Void> readFrom(long from, List<Integer> pageSizes, Set<Long> seen) {
    return node.get("/api/streams/app.big/events?limit=1000&from=" + from, reader).compose(page -> {
      assertEquals(200, page.status(), page.body().toString());
      assertTrue(page.body().length() <= MAX_READ_BYTES + 4_096, "a page of " + page.body().length() + " bytes");
      JsonArray events = page.json().getJsonArray("events");
      if (events.isEmpty()) {
        return Future.succeededFuture();
      }
      pageSizes.add(events.size());
      events.forEach(e -> assertTrue(seen.add(((JsonObject) e).getLong("seq")), "seen twice: " + e));
      long next = page.json().getLong("next");
      assertEquals(((JsonObject) events.getValue(events.size() - 1)).getLong("seq") + 1, next);
      return readFrom(next, pageSizes, seen);
    });
  }

  @Test
  void parallelLargeReadsAreBoundedAndOthersAreServed(VertxTestContext ctx) {
    List<Future<Response>> reads = IntStream.range(0, 40)
      .mapToObj(i -> node.get("/api/streams/app.big/events?limit=1000", reader)).toList();
    JsonObject note = new JsonObject().put("type", "NOTE").put("data", new JsonObject().put("text", "still here"));
    Future<Response> publish = node.post("/api/streams/app.other/events", writer, note);
    Future<Response> otherRead = node.get("/api/streams/app.big/events?limit=10", writer);
    Future.join(new ArrayList<Future<?>>(reads)).transform(v -> Future.succeededFuture())
      .compose(v -> Future.all(publish, otherRead))
      .compose(v -> node.get("/health", null))
      .onComplete(ctx.succeeding(health -> ctx.verify(() -> {
        List<Integer> statuses = reads.stream().map(r -> r.result().status()).toList();
        assertTrue(statuses.stream().allMatch(s -> s == 200 || s == 429), "statuses: " + statuses);
        assertTrue(statuses.contains(429), "40 parallel reads of one user: some refused, " + statuses);
        assertTrue(statuses.contains(200), "some served: " + statuses);
        reads.stream().map(Future::result).filter(r -> r.status() == 429).forEach(r -> {
          assertEquals("1", r.headers().get("Retry-After"));
          assertEquals(429, r.errorCode());
        });
        assertEquals(201, publish.result().status(), "another user's publish is served");
        assertEquals(200, otherRead.result().status(), "another user's read is served");
        assertEquals(200, health.status(), "the node is alive");
        ctx.completeNow();
      })));
  }
}
