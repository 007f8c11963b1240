package io.hubbub.gateway;

import io.hubbub.client.Response;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** With {@code http.metrics: admin}, {@code /metrics} answers only an admin's bearer token. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class AdminMetricsTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("http").put("metrics", "admin")).withMetrics();
  private TestNode node;

  @Test
  void metricsCanBeForAdminsOnly(VertxTestContext ctx) {
    node.user("gus")
      .compose(user -> node.adminToken().compose(admin -> Future.all(
        node.get("/metrics", null), node.get("/metrics", user), node.get("/metrics", admin))))
      .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        assertThat(all.<Response>resultAt(0).status()).as("anonymous").isEqualTo(401);
        assertThat(all.<Response>resultAt(1).status()).as("a user").isEqualTo(403);
        Response admin = all.resultAt(2);
        assertThat(admin.status()).as("an admin").isEqualTo(200);
        assertThat(admin.text()).contains("vertx_http_server_requests_total");
        ctx.completeNow();
      })));
  }
}
