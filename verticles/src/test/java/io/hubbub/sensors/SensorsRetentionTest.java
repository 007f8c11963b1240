package io.hubbub.sensors;

import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PROTOCOL v1.1: sensors keep 1-minute and 1-hour aggregates each for their own time ({@code sensors.retention}),
 * on the real store: the sweep drops what is past it (here also a bucket left from before retention existed), a
 * reading older than a window keeps is not folded into it, and the hourly chart is still there.
 */
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class SensorsRetentionTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("sensors")
    .put("retention", new JsonObject().put("minuteSeconds", 3_600).put("hourSeconds", 7_200).put("sweepSeconds", 1)));
  private TestNode node;

  @Test
  void aggregatesPastTheirWindowsTimeAreDroppedAndHoursOutliveMinutes() throws Exception {
    String admin = node.adminToken().await(30, TimeUnit.SECONDS);
    long now = System.currentTimeMillis();
    long leftover = Math.floorDiv(now - 3 * 3_600_000L, 60_000) * 60_000;
    String stale = Aggregates.id("probe-1", "temperature", "1m", leftover);
    node.db().insert(Aggregates.COLLECTION, new JsonObject().put("_id", stale).put("start", leftover).put("count", 1))
      .await(10, TimeUnit.SECONDS);
    String key = node.call(HttpMethod.POST, "/api/devices", admin, new JsonObject().put("deviceId", "probe-1")).json().getString("key");
    JsonArray readings = new JsonArray();
    for (long ago : new long[] {90, 10, 0}) {
      readings.add(new JsonObject().put("kind", "temperature").put("value", 20.0 + ago)
        .put("at", Instant.ofEpochMilli(now - ago * 60_000).toString()));
    }
    assertThat(node.call(HttpMethod.POST, "/api/sensors/probe-1/readings", key, readings).status()).isEqualTo(201);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      List<String> ids = node.db().find(Aggregates.COLLECTION, new JsonObject()).await(10, TimeUnit.SECONDS).stream()
        .map(doc -> doc.getString("_id")).toList();
      assertThat(ids).as("the leftover from before retention is gone").doesNotContain(stale);
      assertThat(ids.stream().filter(id -> id.contains("|1m|")).count()).as("minutes: only the two readings of the last hour")
        .isEqualTo(2L);
      assertThat(ids.stream().filter(id -> id.contains("|1h|")).count())
        .as("hours: the reading of 90 minutes ago too (two or three hours, by the time of the hour)").isBetween(2L, 3L);
    });
    String from = Instant.ofEpochMilli(now - 2 * 3_600_000L).toString();
    JsonObject hours = node.call(HttpMethod.GET, "/api/sensors/probe-1/aggregates?kind=temperature&window=1h&from=" + from, admin, null)
      .orThrow("hours");
    assertThat(hours.getJsonArray("buckets").stream().mapToLong(b -> ((JsonObject) b).getLong("count")).sum())
      .as("all three readings are in the hours").isEqualTo(3);
    JsonObject minutes = node.call(HttpMethod.GET, "/api/sensors/probe-1/aggregates?kind=temperature&window=1m&from=" + from, admin, null)
      .orThrow("minutes");
    assertThat(minutes.getJsonArray("buckets").stream().mapToLong(b -> ((JsonObject) b).getLong("count")).sum())
      .as("the minutes keep an hour: the reading of 90 minutes ago is not in them").isEqualTo(2);
  }
}
