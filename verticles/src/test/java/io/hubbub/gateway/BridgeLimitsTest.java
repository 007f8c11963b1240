package io.hubbub.gateway;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.hubbub.bus.Failures;
import io.hubbub.client.BridgeClient;
import io.hubbub.client.Response;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One bridge connection cannot have more than {@link BridgeSocket#MAX_AWAITING} requests waiting: the rest are
 * refused with 429 on their own reply address. Client-caused noise (bad frames, refusals) leaves one short
 * log line a window, never a line per frame or a stack trace.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class BridgeLimitsTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.node();
  private TestNode node;
  private BridgeClient bridge;
  private ListAppender<ILoggingEvent> log;
  private Vertx vertx;

  @BeforeEach
  void connect(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    log = new ListAppender<>();
    log.start();
    ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("ROOT").addAppender(log);
    BridgeClient.connect(vertx, node.port)
      .onComplete(ctx.succeeding(b -> {
        bridge = b;
        ctx.completeNow();
      }));
  }

  @AfterEach
  void disconnect(VertxTestContext ctx) {
    ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("ROOT").detachAppender(log);
    bridge.close().onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void framesWhoseHeadersAreNotAnObjectAreAnsweredAsHeaderlessAndLeaveNoStackTrace(VertxTestContext ctx) {
    List<String> notObjects = List.of("[]", "[{\"authorization\":\"Bearer x\"}]", "\"Bearer x\"", "5", "true");
    String event = new JsonObject().put("stream", "app.headers").put("type", "T").put("data", new JsonObject()).encode();
    for (int i = 0; i < notObjects.size(); i++) {
      String headers = notObjects.get(i);
      bridge.raw("{\"type\":\"send\",\"address\":\"auth.login\",\"headers\":" + headers + ",\"body\":{}}");
      bridge.raw("{\"type\":\"publish\",\"address\":\"storage.append.0\",\"headers\":" + headers + ",\"body\":{}}");
      bridge.raw("{\"type\":\"send\",\"address\":\"streams.publish\",\"replyAddress\":\"h" + i + "\",\"headers\":"
        + headers + ",\"body\":" + event + "}");
    }
    // answered after the frames above, on the same socket: by then each of them has its answer
    bridge.request("streams.read", new JsonObject().put("stream", "app.headers")).onComplete(last -> ctx.verify(() -> {
      assertEquals(401, Failures.code(last.cause()), "an anonymous read: " + last);
      Map<String, Integer> codes = new TreeMap<>();
      bridge.frames.stream().filter(f -> "err".equals(f.getString("type")) && f.getString("address", "").matches("h\\d"))
        .forEach(f -> codes.put(f.getString("address"), f.getInteger("failureCode")));
      assertEquals(Map.of("h0", 401, "h1", 401, "h2", 401, "h3", 401, "h4", 401), codes,
        "a publish whose headers are not an object carries no token: 401 on its reply address");
      assertEquals(2L * notObjects.size(), bridge.errors.stream().filter("access_denied"::equals).count(),
        "a frame to an address not let through is denied, headers or not: " + bridge.errors);
      List<ILoggingEvent> traces = log.list.stream().filter(e -> e.getThrowableProxy() != null).toList();
      assertEquals(List.of(), traces.stream().map(ILoggingEvent::getFormattedMessage).toList(), "no stack traces");
      ctx.completeNow();
    }));
  }

  /**
   * One request on a connection of its own: SockJS's polling transport ends connections a pool would reuse. The body
   * is asked for in the step that gets the answer's head (as {@code HubbubHttp} does): asked for a step later, from
   * this thread (no Vert.x context), the answer and its connection's close could come first, and then the body never
   * did (1 first poll in ~2,000 waited forever).
   */
  private Response post(String path, String body) throws Exception {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
    try {
      return client.request(HttpMethod.POST, node.port, "127.0.0.1", path)
        .compose(request -> request.send(Buffer.buffer(body))
          .compose(response -> response.body().map(b -> new Response(response.statusCode(), response.headers(), b))))
        .await(30, TimeUnit.SECONDS);
    } finally {
      client.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void sockJsFramesWithNoTextAreRefusedOverHttpAndLeaveNoStackTraceOverTheWebSocket() throws Exception {
    String denied = new JsonArray().add(new JsonObject().put("type", "send").put("address", "nowhere").encode()).encode();
    for (int i = 0; i < 3; i++) {
      String session = "/eventbus/000/noise-" + i;
      assertEquals(200, post(session + "/xhr", "").status(), "opened");
      for (String noText : List.of("[null]", "[\"{}\", {\"type\":\"ping\"}]", "[[]]")) {
        Response refused = post(session + "/xhr_send", noText);
        assertEquals(List.of(500, "Broken JSON encoding."), List.of(refused.status(), refused.text()), "SockJS's own answer");
      }
      assertEquals(204, post(session + "/xhr_send", denied).status());
      assertTrue(post(session + "/xhr", "").text().contains("access_denied"), "the session goes on");
    }
    // SockJS's WebSocket transport: its session throws on the frame; the frame after it is answered
    WebSocketClient client = vertx.createWebSocketClient();
    try {
      List<String> received = new CopyOnWriteArrayList<>();
      WebSocket socket = client.connect(node.port, "127.0.0.1", "/eventbus/000/noise-ws/websocket").await(30, TimeUnit.SECONDS);
      socket.textMessageHandler(received::add);
      socket.writeTextMessage("[\"{}\",null,\"{}\"]"); // its first frame is handed on, then the session throws
      socket.writeTextMessage(denied);
      Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> received.stream().anyMatch(f -> f.contains("access_denied")));
      assertTrue(received.stream().anyMatch(f -> f.contains("missing_type")), () -> "the frame before the null one: " + received);
    } finally {
      client.close().await(30, TimeUnit.SECONDS);
    }
    assertEquals(List.of(), log.list.stream().filter(e -> e.getThrowableProxy() != null).map(ILoggingEvent::getFormattedMessage).toList(),
      "no stack traces");
    List<ILoggingEvent> summaries = log.list.stream().filter(e -> e.getLoggerName().endsWith("ClientNoise")).toList();
    assertTrue(summaries.size() <= 1, () -> "one short line a window at most (the other tests may have had it): " + summaries);
  }

  @Test
  void requestsPastTheCapAre429OnTheirReplyAddressAndTheLogStaysQuiet(VertxTestContext ctx) {
    // refused requests (403: the namespace is the server's) count until the bridge's reply timeout: the hook never sees failed answers
    int sent = BridgeSocket.MAX_AWAITING + 40;
    JsonObject refusedBody = new JsonObject().put("stream", "audit.users").put("type", "X").put("data", new JsonObject());
    List<Future<String>> answers = IntStream.range(0, sent)
      .mapToObj(i -> bridge.request("streams.publish", refusedBody)
        .transform(r -> Future.succeededFuture(r.failed() ? String.valueOf(Failures.code(r.cause())) : "200")))
      .toList();
    for (int i = 0; i < 300; i++) {
      bridge.raw("{\"type\":\"explode-" + i + "\",\"address\":\"streams.read\"}");
      bridge.raw("{\"type\":\"send\",\"address\":\"streams.read\",\"replyAddress\":\"" + "r".repeat(40) + "\"}");
    }
    Future.join(answers.stream().map(f -> (Future<?>) f).toList())
      .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        Map<String, Long> counts = new TreeMap<>();
        answers.forEach(a -> counts.merge(a.result(), 1L, Long::sum));
        assertEquals(Map.of("403", (long) BridgeSocket.MAX_AWAITING, "429", 40L), counts,
          "every request answered on its own reply address: " + counts);
        List<ILoggingEvent> bridgeLines = log.list.stream()
          .filter(e -> e.getLoggerName().startsWith("io.vertx.ext.web.handler.sockjs")).toList();
        assertEquals(List.of(), bridgeLines.stream().map(ILoggingEvent::getFormattedMessage).toList(),
          "the bridge's per-frame lines are held back");
        List<ILoggingEvent> summaries = log.list.stream().filter(e -> e.getLoggerName().endsWith("ClientNoise")).toList();
        assertTrue(summaries.size() <= 2, "one short line a window: " + summaries);
        assertTrue(summaries.stream().allMatch(e -> e.getThrowableProxy() == null), "no stack traces");
        ctx.completeNow();
      })));
  }
}
