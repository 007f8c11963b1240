package io.hubbub.gateway;

import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the gateway delivers: gzip for pages, scripts and JSON when the client accepts it, never for event streams
 * (Server-Sent Events, SockJS's streaming transport); the browser libraries cacheable for a week, pages for a
 * minute; a favicon. Through the real server, with a client that does not decompress (to see what was sent).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeliveryTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.node();
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

  private AsSent.Answer get(String uri, Map<String, String> headers, boolean stream) throws Exception {
    return stream ? http.firstSecond(HttpMethod.GET, uri, headers) : http.send(HttpMethod.GET, uri, headers, null);
  }

  private static String gunzip(byte[] body) throws Exception {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void pagesScriptsAndJsonAreGzippedForClientsThatAcceptIt() throws Exception {
    AsSent.Answer script = get("/js/hubbub.js", Map.of("Accept-Encoding", "gzip"), false);
    assertThat(script.status()).isEqualTo(200);
    assertThat(script.header("Content-Encoding")).isEqualTo("gzip");
    assertThat(gunzip(script.bytes())).contains("export class Hubbub");
    AsSent.Answer index = get("/", Map.of("Accept-Encoding", "gzip"), false);
    assertThat(index.header("Content-Encoding")).as(index.status() + " " + index.headers()).isEqualTo("gzip");
    assertThat(get("/vendor/sockjs.min.js", Map.of("Accept-Encoding", "gzip"), false).header("Content-Encoding")).isEqualTo("gzip");

    String token = node.user("gz").await(30, TimeUnit.SECONDS);
    JsonArray events = new JsonArray(IntStream.range(0, 50)
      .mapToObj(i -> (Object) new JsonObject().put("type", "T").put("data", new JsonObject().put("text", "hello " + i))).toList());
    assertThat(node.post("/api/streams/app.gz/events", token, events).await(30, TimeUnit.SECONDS).status()).isEqualTo(201);
    AsSent.Answer page = get("/api/streams/app.gz/events?from=1", Map.of("Accept-Encoding", "gzip", "Authorization", "Bearer " + token), false);
    assertThat(page.header("Content-Encoding")).isEqualTo("gzip");
    assertThat(new JsonObject(gunzip(page.bytes())).getJsonArray("events")).hasSize(50);

    AsSent.Answer plain = get("/js/hubbub.js", Map.of(), false);
    assertThat(plain.header("Content-Encoding")).as("a client that did not ask gets it as it is").isNull();
    assertThat(plain.text()).contains("export class Hubbub");
  }

  @Test
  void eventStreamsAreNeverCompressed() throws Exception {
    String token = node.user("sse").await(30, TimeUnit.SECONDS);
    JsonArray events = new JsonArray(IntStream.range(0, 20)
      .mapToObj(i -> (Object) new JsonObject().put("type", "T").put("data", new JsonObject().put("text", "x".repeat(200)))).toList());
    node.post("/api/streams/app.sse/events", token, events).await(30, TimeUnit.SECONDS);
    AsSent.Answer sse = get("/api/streams/app.sse/live?after=0", Map.of("Accept-Encoding", "gzip", "Authorization", "Bearer " + token), true);
    assertThat(sse.header("Content-Encoding")).isNull();
    assertThat(sse.text()).contains("id: 20\nevent: T\n");

    AsSent.Answer streaming = http.firstSecond(HttpMethod.POST, "/eventbus/000/streamtest/xhr_streaming", Map.of("Accept-Encoding", "gzip"));
    assertThat(streaming.status()).isEqualTo(200);
    assertThat(streaming.header("Content-Encoding")).isNull();
    assertThat(streaming.text()).as("SockJS's open frame, at once").contains("o\n");
  }

  @Test
  void browserLibrariesAreKeptAWeekPagesAMinuteAndThereIsAFavicon() throws Exception {
    assertThat(get("/vendor/sockjs.min.js", Map.of(), false).header("Cache-Control")).contains("max-age=604800");
    assertThat(get("/js/hubbub.js", Map.of(), false).header("Cache-Control")).contains("max-age=60");
    AsSent.Answer icon = get("/favicon.svg", Map.of(), false);
    assertThat(icon.status()).isEqualTo(200);
    assertThat(icon.header("Content-Type")).startsWith("image/svg+xml");
    assertThat(get("/favicon.ico", Map.of(), false).status()).as("what browsers ask for without a link").isEqualTo(200);
    assertThat(get("/", Map.of(), false).text()).contains("rel=\"icon\" href=\"/favicon.svg\"");
  }
}
