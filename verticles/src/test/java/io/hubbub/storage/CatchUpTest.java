package io.hubbub.storage;

import io.hubbub.bus.StorageBus;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A reader going through a stream page after page (a catch-up), through storage's bus contract on the real store:
 * storage reads the next page ahead while the reader takes in the one it got, and what the reader gets is what it
 * would get without: every event once, in order, redactions and events appended meanwhile included.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CatchUpTest {

  private static final Pattern READ_AHEAD = Pattern.compile("hubbub_storage_reads_ahead_total\\{[^}]*result=\"(\\w+)\"[^}]*} (\\S+)");

  private Vertx vertx;
  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> TestConf.only(conf, "storage", "gateway"))
    .withMetrics(); // to read the read-ahead counters on /metrics
  private TestNode node;

  private void append(String stream, long from, long to, String by) throws Exception {
    JsonArray events = new JsonArray();
    LongStream.rangeClosed(from, to).forEach(n -> events.add(new JsonObject().put("stream", stream).put("type", "E")
      .put("id", "e" + n).put("data", new JsonObject().put("n", n)).put("by", by)));
    StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.APPEND.address(),
      new JsonObject().put("events", events), 10_000).await(10, TimeUnit.SECONDS);
  }

  private JsonObject page(String stream, long from, int limit) throws Exception {
    return StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.READ.address(),
      new StorageBus.Read(stream, from, limit).toJson(), 10_000).await(10, TimeUnit.SECONDS);
  }

  private static List<Long> seqs(JsonObject page) {
    return page.getJsonArray("events").stream().map(e -> ((JsonObject) e).getLong("seq")).toList();
  }

  /** The read-ahead counters on /metrics, by result ({@code taken}, {@code dropped}). */
  private double readAhead(String result) throws Exception {
    String metrics = node.call(HttpMethod.GET, "/metrics", null, null).body().toString();
    double sum = 0;
    for (Matcher m = READ_AHEAD.matcher(metrics); m.find(); ) {
      if (m.group(1).equals(result)) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return sum;
  }

  @Test
  void aReaderGoingOnGetsEveryEventOnceInOrderMostPagesReadAhead() throws Exception {
    append("app.catchup", 1, 60, "writer");
    List<Long> got = new ArrayList<>();
    long next = 1;
    int pages = 0;
    while (next <= 60) {
      JsonObject page = page("app.catchup", next, 5);
      got.addAll(seqs(page));
      next = page.getLong("next");
      pages++;
    }
    assertEquals(LongStream.rangeClosed(1, 60).boxed().toList(), got, "every event once, in order");
    assertEquals(12, pages);
    // the first two pages are read when asked for (a single read starts nothing), the ten after them ahead
    assertEquals(10.0, readAhead("taken"), "pages read ahead and taken");
    assertEquals(0.0, readAhead("dropped"), "pages read ahead for nothing");
  }

  @Test
  void aStreamAppendedInLargeBatchesIsReadWholeFromAnywhere() throws Exception {
    for (long first = 1; first <= 900; first += 300) {
      append("app.batched", first, first + 299, "writer"); // buckets of 128, 128 and 44
    }
    for (long start : List.of(1L, 250L, 301L)) {
      List<Long> got = new ArrayList<>();
      long next = start;
      while (next <= 900) {
        JsonObject page = page("app.batched", next, 70);
        got.addAll(seqs(page));
        next = page.getLong("next");
      }
      assertEquals(LongStream.rangeClosed(start, 900).boxed().toList(), got, "from " + start);
    }
  }

  @Test
  void aPageReadAheadBeforeARedactionIsNotWhatTheReaderGets() throws Exception {
    append("app.erased", 1, 30, "alice");
    page("app.erased", 1, 5);
    page("app.erased", 6, 5); // the page from 11 is read ahead now
    page("app.erased", 6, 5).getJsonArray("events"); // one more round trip: that read has come back
    JsonObject redacted = StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.REDACT.address(),
      new StorageBus.Redact("app.erased", "alice").toJson(), 10_000).await(10, TimeUnit.SECONDS);
    assertEquals(30, redacted.getLong("redacted"));

    JsonObject page = page("app.erased", 11, 5);
    assertEquals(List.of(11L, 12L, 13L, 14L, 15L), seqs(page));
    for (Object e : page.getJsonArray("events")) {
      JsonObject event = (JsonObject) e;
      assertEquals(StorageBus.DELETED_USER, event.getString("by"), "redacted: " + event);
      assertEquals(new JsonObject().put("redacted", true), event.getJsonObject("data"), "redacted: " + event);
    }
    assertTrue(readAhead("dropped") >= 1, "the page read ahead was dropped");
  }

  @Test
  void aReaderGoingOnAfterACutStartsWhereTheStreamNowStarts() throws Exception {
    append("app.cut", 1, 30, "writer");
    page("app.cut", 1, 5);
    page("app.cut", 6, 5); // the page from 11 is read ahead now
    page("app.cut", 6, 5);
    StorageBus.request(vertx.eventBus(), StorageBus.DEFAULT_PARTITIONS, StorageBus.TRUNCATE.address(),
      new StorageBus.Truncate("app.cut", 13).toJson(), 10_000).await(10, TimeUnit.SECONDS);

    JsonObject page = page("app.cut", 11, 5);
    assertEquals(List.of(13L, 14L, 15L, 16L, 17L), seqs(page), "nothing from below the cut");
    assertEquals(13, page.getLong("firstSeq"));
  }

  @Test
  void aPageReadAheadUpToTheEndThenGetsWhatWasAppendedSince() throws Exception {
    append("app.growing", 1, 12, "writer");
    page("app.growing", 1, 5);
    page("app.growing", 6, 5); // the page from 11 is read ahead now: 11 and 12, the stream's end
    page("app.growing", 6, 5);
    append("app.growing", 13, 20, "writer");

    JsonObject page = page("app.growing", 11, 5);
    assertEquals(List.of(11L, 12L, 13L, 14L, 15L), seqs(page), "a full page, as a read finds it now");
    assertEquals(20, page.getLong("lastSeq"));
  }
}
