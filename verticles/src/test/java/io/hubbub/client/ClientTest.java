package io.hubbub.client;

import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The Java client against a real node, as the README shows it: sign up, publish, follow a stream gaplessly. */
class ClientTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.node();
  private TestNode node;
  private Vertx vertx;

  @Test
  void signsUpPublishesAndFollowsAStream() throws Exception {
    BlockingHttp http = BlockingHttp.local(node.port);
    String token = http.signUpAndLogin("ada", "a-long-password");
    assertThat(http.signUpAndLogin("ada", "a-long-password")).as("signing up again with the same password is fine").isNotEqualTo(token);
    JsonObject hello = new JsonObject().put("type", "HELLO").put("data", new JsonObject().put("n", 1));
    assertThat(http.call(HttpMethod.POST, "/api/streams/app.demo/events", token, hello).getLong("seq")).isEqualTo(1L);

    BridgeClient bridge = node.bridge(token).await(10, TimeUnit.SECONDS);
    GaplessReader reader = new GaplessReader(vertx, bridge, "app.demo");
    HubbubHttp async = HubbubHttp.local(vertx, node.port);
    async.call(HttpMethod.POST, "/api/streams/app.demo/events", token, hello.copy().put("data", new JsonObject().put("n", 2)))
      .await(10, TimeUnit.SECONDS);
    // the live event (seq 2) arrives first; the reader reads seq 1, which it missed, before handing either on
    await().atMost(Duration.ofSeconds(10)).until(() -> reader.delivered().size() == 2);
    assertThat(reader.delivered()).extracting(event -> event.getLong("seq")).containsExactly(1L, 2L);
    async.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void aFollowerGoesOnFromWhereATruncatedStreamStarts() throws Exception {
    BlockingHttp http = BlockingHttp.local(node.port);
    TestNode.Tokens tokens = node.userAndAdmin("ada").await(30, TimeUnit.SECONDS);
    for (int i = 1; i <= 5; i++) {
      http.call(HttpMethod.POST, "/api/streams/app.trim/events", tokens.user(), new JsonObject().put("type", "E").put("data", new JsonObject()));
    }
    http.call(HttpMethod.POST, "/api/streams/app.trim/truncate", tokens.admin(), new JsonObject().put("before", 4));
    GaplessReader reader = new GaplessReader(vertx, node.bridge(tokens.user()).await(10, TimeUnit.SECONDS), "app.trim");
    // a live event makes it read what it missed; the registration has no answer, so publish until one arrives
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(500)).until(() -> {
      if (reader.delivered().isEmpty()) {
        http.call(HttpMethod.POST, "/api/streams/app.trim/events", tokens.user(), new JsonObject().put("type", "E").put("data", new JsonObject()));
      }
      return !reader.delivered().isEmpty();
    });
    assertThat(reader.delivered()).extracting(event -> event.getLong("seq")).startsWith(4L, 5L, 6L);
    assertThat(reader.truncatedTo()).as("1 to 3 are gone for good: not a gap to wait on").isEqualTo(4);
  }

  @Test
  void refusalsCarryTheProtocolsStatus() {
    BlockingHttp http = BlockingHttp.local(node.port);
    assertThatThrownBy(() -> http.call(HttpMethod.POST, "/api/streams/app.demo/events", null, new JsonObject()))
      .isInstanceOf(HubbubException.class).satisfies(e -> assertThat(((HubbubException) e).code()).isEqualTo(401));
    assertThatThrownBy(() -> http.signUpAndLogin("ada", "short")).isInstanceOf(HubbubException.class)
      .satisfies(e -> assertThat(((HubbubException) e).code()).isEqualTo(400));
  }
}
