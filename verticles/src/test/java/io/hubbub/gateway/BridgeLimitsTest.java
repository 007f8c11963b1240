package io.hubbub.gateway;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.hubbub.bus.Failures;
import io.hubbub.client.BridgeClient;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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

  @BeforeEach
  void connect(Vertx vertx, VertxTestContext ctx) {
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
