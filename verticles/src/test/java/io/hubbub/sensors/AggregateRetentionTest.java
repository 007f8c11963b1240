package io.hubbub.sensors;

import io.hubbub.conf.HubbubConf;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Aggregates past their window's time are dropped, exactly those, and never folded again. */
class AggregateRetentionTest {

  private static final long T = Instant.parse("2026-12-01T12:00:00Z").toEpochMilli();
  private static final long MINUTE = 60_000;
  private static final long HOUR = 3_600_000;
  /** 1-minute buckets an hour, 1-hour buckets two. */
  private static final HubbubConf.SensorRetention KEEP = new HubbubConf.SensorRetention(3_600, 7_200, 60);

  private final FakeDocs store = new FakeDocs(1);

  private void bucket(String window, long start) {
    String id = Aggregates.id("d", "temperature", window, start);
    store.collections.computeIfAbsent(Aggregates.COLLECTION, c -> new HashMap<>())
      .put(id, new JsonObject().put("_id", id).put("start", start).put("count", 1));
  }

  private Set<String> left() {
    return new TreeSet<>(store.collections.getOrDefault(Aggregates.COLLECTION, Map.of()).keySet());
  }

  private static String id(String window, long start) {
    return Aggregates.id("d", "temperature", window, start);
  }

  @Test
  void aSweepDropsWhatIsPastItsWindowsTimeAndLaterOnlyTheNewlyExpired() throws Exception {
    bucket("1m", T - 3 * HOUR);       // from before retention: below the first cut, found by the one prefix query
    bucket("1m", T - 2 * HOUR);
    bucket("1m", T - 30 * MINUTE);
    bucket("1h", T - 5 * HOUR);
    bucket("1h", T - HOUR);
    bucket("1h", T);
    AggregateRetention retention = new AggregateRetention(store, KEEP);

    assertThat(retention.sweep("d", Set.of("temperature"), T).await()).isEqualTo(3);
    assertThat(left()).containsExactly(id("1h", T - HOUR), id("1h", T), id("1m", T - 30 * MINUTE));
    JsonObject marks = store.collections.get(DeviceFeed.COLLECTION).get(AggregateRetention.key("d")).getJsonObject("pruned");
    assertThat(marks.getJsonObject("temperature").getLong("1m")).isEqualTo(T - HOUR);
    assertThat(marks.getJsonObject("temperature").getLong("1h")).isEqualTo(T - 2 * HOUR);

    bucket("1m", T - 50 * MINUTE);
    bucket("1m", T - 45 * MINUTE);
    assertThat(retention.sweep("d", Set.of("temperature"), T + 15 * MINUTE).await())
      .as("the ids from the last cut to the new one: the bucket of 11:10 (11:15 is kept)").isEqualTo(1);
    assertThat(left()).contains(id("1m", T - 45 * MINUTE), id("1m", T - 30 * MINUTE)).doesNotContain(id("1m", T - 50 * MINUTE));
    assertThat(retention.sweep("d", Set.of(), T + 15 * MINUTE).await()).as("a kind known from the marks alone").isZero();
  }

  @Test
  void aFailingStoreLeavesTheMarksAsTheyWere() {
    bucket("1m", T - 3 * HOUR);
    store.failing(1.0);
    AggregateRetention retention = new AggregateRetention(store, KEEP);
    assertThat(retention.sweep("d", Set.of("temperature"), T).failed()).isTrue();
    assertThat(store.collections.getOrDefault(DeviceFeed.COLLECTION, Map.of())).isEmpty();
  }

  @Test
  void aReadingOlderThanAWindowKeepsIsNotFoldedIntoIt() throws Exception {
    Aggregates aggregates = new Aggregates(store, 100, KEEP, () -> T);
    JsonObject old = new JsonObject().put("seq", 1L).put("type", "READING").put("data", new JsonObject().put("kind", "temperature")
      .put("value", 20.0).put("at", Instant.ofEpochMilli(T - 90 * MINUTE).toString()));
    JsonObject now = new JsonObject().put("seq", 2L).put("type", "READING").put("data", new JsonObject().put("kind", "temperature")
      .put("value", 21.0).put("at", Instant.ofEpochMilli(T).toString()));
    aggregates.apply("d", List.of(old, now)).await();
    aggregates.write(List.of("d")).await();
    assertThat(left()).as("the 1-minute bucket of 10:30 would be dropped at once: it is never written")
      .containsExactly(id("1h", T - 2 * HOUR), id("1h", T), id("1m", T));
  }

  @Test
  void idsComeInChunks() {
    List<List<String>> chunks = AggregateRetention.ids("d", "temperature", "1m", T, T + 2_500 * MINUTE);
    assertThat(chunks).hasSize(3);
    assertThat(chunks.get(0)).hasSize(AggregateRetention.CHUNK).startsWith(id("1m", T));
    assertThat(chunks.get(2)).hasSize(500).endsWith(id("1m", T + 2_499 * MINUTE));
    assertThat(AggregateRetention.ids("d", "temperature", "1h", T, T)).isEmpty();
  }
}
