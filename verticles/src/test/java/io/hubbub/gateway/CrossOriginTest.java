package io.hubbub.gateway;

import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * PROTOCOL v1.1 "TLS and origins": {@code http.cors.origins} names the origins whose pages may call /api, load /js
 * and /vendor and open /eventbus; the gateway's own origin always may; any other is refused, the bridge's
 * WebSocket included. Through the real server, as a browser would send the requests (Origin, preflights).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CrossOriginTest {

  private static final String APP = "http://app.example:3000";
  private static final String EVIL = "http://evil.example";

  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("http")
    .put("cors", new JsonObject().put("origins", new JsonArray().add(APP))));
  private TestNode node;
  private AsSent http;

  @BeforeEach
  void client() {
    http = new AsSent(node.vertx, node.port);
  }

  @AfterEach
  void close() throws Exception {
    http.close();
  }

  private AsSent.Answer send(HttpMethod method, String uri, Map<String, String> headers, String body) throws Exception {
    return http.send(method, uri, headers, body);
  }

  @Test
  void aListedOriginGetsPreflightsAndCorsAnswersOnTheApiScriptsAndTheBridge() throws Exception {
    AsSent.Answer preflight = send(HttpMethod.OPTIONS, "/api/sessions", Map.of("Origin", APP, "Access-Control-Request-Method", "POST",
      "Access-Control-Request-Headers", "content-type,authorization"), null);
    assertThat(preflight.status()).isEqualTo(204);
    assertThat(preflight.headers()).containsEntry("Access-Control-Allow-Origin", APP);
    assertThat(preflight.headers().get("Access-Control-Allow-Methods")).contains("POST", "DELETE");
    assertThat(preflight.headers().get("Access-Control-Allow-Headers").toLowerCase(java.util.Locale.ROOT)).contains("authorization", "content-type", "last-event-id");

    node.user("cors").await(30, TimeUnit.SECONDS);
    AsSent.Answer login = send(HttpMethod.POST, "/api/sessions", Map.of("Origin", APP, "Content-Type", "application/json"),
      new JsonObject().put("username", "cors").put("password", "password-cors").encode());
    assertThat(login.status()).isEqualTo(201);
    assertThat(login.headers()).containsEntry("Access-Control-Allow-Origin", APP);
    assertThat(login.headers().get("Access-Control-Expose-Headers")).contains("Retry-After");

    AsSent.Answer script = send(HttpMethod.GET, "/js/hubbub.js", Map.of("Origin", APP), null);
    assertThat(script.status()).isEqualTo(200);
    assertThat(script.headers()).containsEntry("Access-Control-Allow-Origin", APP);
    assertThat(send(HttpMethod.GET, "/vendor/sockjs.min.js", Map.of("Origin", APP), null).headers())
      .containsEntry("Access-Control-Allow-Origin", APP);

    AsSent.Answer info = send(HttpMethod.GET, "/eventbus/info", Map.of("Origin", APP), null);
    assertThat(info.status()).isEqualTo(200);
    assertThat(info.headers()).containsEntry("Access-Control-Allow-Origin", APP);

    WebSocketClient sockets = node.vertx.createWebSocketClient();
    var socket = sockets.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.port)
      .setURI("/eventbus/websocket").addHeader("Origin", APP)).await(20, TimeUnit.SECONDS);
    socket.close().await(10, TimeUnit.SECONDS);
    sockets.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void anotherOriginIsRefusedEverywhereTheBridgesWebSocketIncluded() throws Exception {
    for (String uri : new String[] {"/api/streams/app.x", "/js/hubbub.js", "/vendor/sockjs.min.js", "/eventbus/info"}) {
      AsSent.Answer refused = send(HttpMethod.GET, uri, Map.of("Origin", EVIL), null);
      assertThat(refused.status()).as(uri).isEqualTo(403);
      assertThat(refused.headers()).as(uri).doesNotContainKey("Access-Control-Allow-Origin");
      assertThat(new JsonObject(refused.text()).getJsonObject("error").getString("message")).contains("http.cors.origins");
    }
    AsSent.Answer preflight = send(HttpMethod.OPTIONS, "/api/sessions", Map.of("Origin", EVIL, "Access-Control-Request-Method", "POST"), null);
    assertThat(preflight.status()).isEqualTo(403);
    WebSocketClient sockets = node.vertx.createWebSocketClient();
    assertThatThrownBy(() -> sockets.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.port)
      .setURI("/eventbus/websocket").addHeader("Origin", EVIL)).await(20, TimeUnit.SECONDS))
      .as("browsers do not apply CORS to WebSockets: the server refuses the upgrade")
      .isInstanceOf(UpgradeRejectedException.class);
    sockets.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void theGatewaysOwnOriginAndRequestsWithoutOneGoOnWithoutCorsHeaders() throws Exception {
    String own = "http://127.0.0.1:" + node.port;
    AsSent.Answer page = send(HttpMethod.GET, "/js/hubbub.js", Map.of("Origin", own), null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.headers()).doesNotContainKey("Access-Control-Allow-Origin");
    assertThat(send(HttpMethod.GET, "/js/hubbub.js", Map.of(), null).status()).isEqualTo(200);
    AsSent.Answer info = send(HttpMethod.GET, "/eventbus/info", Map.of("Origin", own), null);
    assertThat(info.status()).isEqualTo(200);
    assertThat(info.headers().get("Access-Control-Allow-Origin")).as("not SockJS's echo of any origin").isNotEqualTo(EVIL);
  }

  @Test
  void originsCompareByTheirSchemeHostAndPort() {
    assertThat(CrossOrigin.normalized("HTTPS://App.Example")).isEqualTo("https://app.example:443");
    assertThat(CrossOrigin.normalized("http://app.example:3000")).isEqualTo("http://app.example:3000");
    assertThat(CrossOrigin.normalized("null")).isEmpty();
    assertThat(CrossOrigin.sameOrigin(CrossOrigin.normalized("http://127.0.0.1:8080"), "127.0.0.1:8080")).isTrue();
    assertThat(CrossOrigin.sameOrigin(CrossOrigin.normalized("https://hub.example"), "hub.example")).as("a TLS proxy in front").isTrue();
    assertThat(CrossOrigin.sameOrigin(CrossOrigin.normalized("http://hub.example"), "hub.example:80")).isTrue();
    assertThat(CrossOrigin.sameOrigin(CrossOrigin.normalized("http://127.0.0.1:8081"), "127.0.0.1:8080")).isFalse();
    assertThat(CrossOrigin.sameOrigin(CrossOrigin.normalized("http://evil.example"), "hub.example")).isFalse();
    assertThat(CrossOrigin.sameOrigin(CrossOrigin.normalized("http://[::1]:8080"), "[::1]:8080")).isTrue();
    assertThat(CrossOrigin.sameOrigin(CrossOrigin.normalized("null"), "hub.example")).isFalse();
  }
}
