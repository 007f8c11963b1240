package io.hubbub.storage;

import io.hubbub.conf.HubbubConf;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Where retention cuts a stream: by count exactly, by age after whole expired buckets. */
class RetentionRulesTest {

  private static final long NOW = Instant.parse("2026-12-01T12:00:00Z").toEpochMilli();

  private static JsonObject head(long first, long last, long secondsAgo) {
    return new JsonObject().put("first", first).put("last", last).put("ts", Instant.ofEpochMilli(NOW - secondsAgo * 1_000).toString());
  }

  @Test
  void maxEventsKeepsExactlyTheNewestAndNeverMovesBack() {
    HubbubConf.Retention keep25 = new HubbubConf.Retention(0, 25);
    assertThat(count(keep25, 1, 100)).isEqualTo(76);
    assertThat(count(keep25, 1, 25)).as("no more than it holds: nothing to drop").isEqualTo(1);
    assertThat(count(keep25, 90, 100)).as("never below where it starts already").isEqualTo(90);
    assertThat(count(new HubbubConf.Retention(3600, 0), 1, 100)).as("no count bound").isEqualTo(1);
    assertThat(count(keep25, 1, 0)).as("an empty stream").isEqualTo(1);
  }

  private static long count(HubbubConf.Retention policy, long first, long last) {
    return Retention.countCut(policy, first, last);
  }

  @Test
  void maxAgeCutsAfterTheOldestRunOfExpiredBuckets() {
    long oldest = NOW - 3_600_000;
    List<JsonObject> heads = List.of(head(1, 10, 7200), head(11, 20, 3601), head(21, 30, 3599), head(31, 40, 9999));
    assertThat(Retention.ageCut(heads, 1, oldest)).as("up to the first young bucket; an old one after it waits").isEqualTo(21);
    assertThat(Retention.ageCut(heads, 15, oldest)).as("from inside a bucket: past it when it expired").isEqualTo(21);
    assertThat(Retention.ageCut(heads, 21, oldest)).as("a young first bucket: nothing").isEqualTo(21);
    assertThat(Retention.ageCut(List.of(head(1, 10, 60)), 1, oldest)).isEqualTo(1);
    assertThat(Retention.ageCut(List.of(head(1, 10, 7200), head(12, 20, 7200)), 1, oldest))
      .as("a hole in the chain (never written so): stop there").isEqualTo(11);
    assertThat(Retention.ageCut(List.of(), 5, oldest)).isEqualTo(5);
  }
}
