package io.hubbub.gateway;

import io.hubbub.client.BridgeClient;
import io.hubbub.client.Response;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.hubbub.support.Waits;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /health}, {@code /ready} and {@code /metrics} on a node whose Vert.x has metrics, as the launcher makes it. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class MetricsTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.node().withMetrics();
  private TestNode node;

  @Test
  void healthReadyAndMetricsAnswer(VertxTestContext ctx) {
    node.user("fay")
      .compose(token -> node.post("/api/streams/app.m/events", token, new JsonObject().put("type", "X").put("data", new JsonObject()))
        .compose(v -> node.bridge(token))
        .compose(bridge -> bridge.request("chat.join", new JsonObject().put("room", "den")).compose(v -> presence(bridge))))
      .compose(v -> Future.all(node.get("/health", null), node.get("/ready", null), node.get("/metrics", null)))
      .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        Response health = all.resultAt(0);
        Response ready = all.resultAt(1);
        Response metrics = all.resultAt(2);
        assertThat(health.status()).isEqualTo(200);
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.json().getString("status")).isEqualTo("READY");
        assertThat(metrics.status()).isEqualTo(200);
        String text = metrics.text();
        assertThat(text).as("appends counter").containsPattern("hubbub_appends_total(\\{[^}]*})? [1-9]")
          .as("append latency as a histogram, with the append above")
          .containsPattern("hubbub_append_latency_seconds_bucket\\{[^}]*le=\"\\+Inf\"[^}]*} [1-9]")
          .as("and each write until durable").containsPattern("hubbub_append_write_seconds_bucket\\{[^}]*le=\"0\\.01\"[^}]*} ")
          .as("per-address bus metrics").contains("address=\"storage.append\"")
          .as("HTTP metrics").contains("vertx_http_server_requests_total")
          .as("HTTP metrics per route").containsPattern("route=\"[^\"]*/api/streams/:stream/events\"")
          .as("live addresses are folded into one label").doesNotContain("streams.live.app.m")
          .as("presence addresses are folded into one label").doesNotContain("chat.presence.den", "made-up")
          .as("presence has one series per metric").contains("address=\"chat.presence.*\"")
          .as("no label clashes with Prometheus's own 'instance'").doesNotContain("instance=\"")
          .as("no random ids as label values").doesNotContainPattern("\"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\"")
          .as("a stable index per verticle").containsPattern("hubbub_storage_partitions_owned\\{[^}]*verticle=\"[0-9]+\"");
        ctx.completeNow();
      })));
  }

  /** One real room's presence and twenty made-up ones (refused): no series per room either way. */
  private Future<Void> presence(BridgeClient bridge) {
    bridge.register("chat.presence.den", frame -> { });
    IntStream.range(0, 20).forEach(i -> bridge.register("chat.presence.made-up-" + i, frame -> { }));
    return Waits.until(node.vertx, () -> bridge.frames.stream().filter(f -> "err".equals(f.getString("type"))).count() >= 20
      && bridge.frames.stream().anyMatch(f -> "chat.presence.den".equals(f.getString("address"))));
  }
}
