package io.hubbub.gateway;

import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
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
import java.util.TreeMap;
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
  private HttpClient client;

  @BeforeEach
  void client() {
    client = node.vertx.createHttpClient();
  }

  @AfterEach
  void close() throws Exception {
    client.close().await(10, TimeUnit.SECONDS);
  }

  private record Answer(int status, Map<String, String> headers, Buffer content) {
    String header(String name) {
      return headers.get(name);
    }

    byte[] body() {
      return content.getBytes();
    }
  }

  /** The answer as sent; for a stream that does not end, what came in its first second. */
  private Answer get(String uri, Map<String, String> headers, boolean stream) throws Exception {
    return send(HttpMethod.GET, uri, headers, stream);
  }

  private Answer send(HttpMethod method, String uri, Map<String, String> headers, boolean stream) throws Exception {
    RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(node.port).setURI(uri);
    headers.forEach(options::putHeader);
    return client.request(options).compose(request -> request.send()).compose(response -> {
      Map<String, String> received = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      response.headers().forEach(h -> received.put(h.getKey(), h.getValue()));
      if (!stream) {
        return response.body().map(body -> new Answer(response.statusCode(), received, body));
      }
      Buffer first = Buffer.buffer();
      response.handler(first::appendBuffer);
      return node.vertx.timer(1, TimeUnit.SECONDS).map(v -> new Answer(response.statusCode(), received, first));
    }).await(20, TimeUnit.SECONDS);
  }

  private static String gunzip(byte[] body) throws Exception {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void pagesScriptsAndJsonAreGzippedForClientsThatAcceptIt() throws Exception {
    Answer script = get("/js/hubbub.js", Map.of("Accept-Encoding", "gzip"), false);
    assertThat(script.status()).isEqualTo(200);
    assertThat(script.header("Content-Encoding")).isEqualTo("gzip");
    assertThat(gunzip(script.body())).contains("export class Hubbub");
    Answer index = get("/", Map.of("Accept-Encoding", "gzip"), false);
    assertThat(index.header("Content-Encoding")).as(index.status() + " " + index.headers()).isEqualTo("gzip");
    assertThat(get("/vendor/sockjs.min.js", Map.of("Accept-Encoding", "gzip"), false).header("Content-Encoding")).isEqualTo("gzip");

    String token = node.user("gz").await(30, TimeUnit.SECONDS);
    JsonArray events = new JsonArray(IntStream.range(0, 50)
      .mapToObj(i -> (Object) new JsonObject().put("type", "T").put("data", new JsonObject().put("text", "hello " + i))).toList());
    assertThat(node.post("/api/streams/app.gz/events", token, events).await(30, TimeUnit.SECONDS).status()).isEqualTo(201);
    Answer page = get("/api/streams/app.gz/events?from=1", Map.of("Accept-Encoding", "gzip", "Authorization", "Bearer " + token), false);
    assertThat(page.header("Content-Encoding")).isEqualTo("gzip");
    assertThat(new JsonObject(gunzip(page.body())).getJsonArray("events")).hasSize(50);

    Answer plain = get("/js/hubbub.js", Map.of(), false);
    assertThat(plain.header("Content-Encoding")).as("a client that did not ask gets it as it is").isNull();
    assertThat(new String(plain.body(), StandardCharsets.UTF_8)).contains("export class Hubbub");
  }

  @Test
  void eventStreamsAreNeverCompressed() throws Exception {
    String token = node.user("sse").await(30, TimeUnit.SECONDS);
    JsonArray events = new JsonArray(IntStream.range(0, 20)
      .mapToObj(i -> (Object) new JsonObject().put("type", "T").put("data", new JsonObject().put("text", "x".repeat(200)))).toList());
    node.post("/api/streams/app.sse/events", token, events).await(30, TimeUnit.SECONDS);
    Answer sse = get("/api/streams/app.sse/live?after=0", Map.of("Accept-Encoding", "gzip", "Authorization", "Bearer " + token), true);
    assertThat(sse.header("Content-Encoding")).isNull();
    assertThat(new String(sse.body(), StandardCharsets.UTF_8)).contains("id: 20\nevent: T\n");

    Answer streaming = send(HttpMethod.POST, "/eventbus/000/streamtest/xhr_streaming", Map.of("Accept-Encoding", "gzip"), true);
    assertThat(streaming.status()).isEqualTo(200);
    assertThat(streaming.header("Content-Encoding")).isNull();
    assertThat(new String(streaming.body(), StandardCharsets.UTF_8)).as("SockJS's open frame, at once").contains("o\n");
  }

  @Test
  void browserLibrariesAreKeptAWeekPagesAMinuteAndThereIsAFavicon() throws Exception {
    assertThat(get("/vendor/sockjs.min.js", Map.of(), false).header("Cache-Control")).contains("max-age=604800");
    assertThat(get("/js/hubbub.js", Map.of(), false).header("Cache-Control")).contains("max-age=60");
    Answer icon = get("/favicon.svg", Map.of(), false);
    assertThat(icon.status()).isEqualTo(200);
    assertThat(icon.header("Content-Type")).startsWith("image/svg+xml");
    assertThat(get("/favicon.ico", Map.of(), false).status()).as("what browsers ask for without a link").isEqualTo(200);
    assertThat(new String(get("/", Map.of(), false).body(), StandardCharsets.UTF_8)).contains("rel=\"icon\" href=\"/favicon.svg\"");
  }
}
