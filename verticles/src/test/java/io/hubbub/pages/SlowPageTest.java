package io.hubbub.pages;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import io.hubbub.support.Chromium;
import io.hubbub.support.TcpProxy;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * hubbub.js in a browser that stops reading its socket (the proxy between it and the gateway stalls) while
 * a stream floods: the gateway pauses live delivery to it and tells it so (429); once the browser reads
 * again, hubbub.js reads what it skipped and goes on live, without a reconnect, every event once, in order.
 */
class SlowPageTest {

  private static final long QUEUE_BYTES = 65_536;
  private static final int EVENTS = 1_280;
  private static final int BATCH = 40;
  private static final String TEXT = "x".repeat(16_000);

  private Chromium chromium;
  private Vertx vertx;
  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("limits").put("liveQueueBytes", QUEUE_BYTES))
    .withMetrics();
  private TestNode node;
  private TcpProxy proxy;
  private BrowserContext context;
  private String token;

  @BeforeEach
  void start() throws Exception {
    chromium = Chromium.launch();
    token = await(node.user("slow"));
    proxy = await(TcpProxy.to(vertx, node.port));
    context = chromium.context(1024, 768);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      context.close();
      chromium.close();
    } finally {
      await(proxy.close());
    }
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.await(60, TimeUnit.SECONDS);
  }

  private double metric(String name) throws Exception {
    String text = node.call(HttpMethod.GET, "/metrics", null, null).body().toString();
    Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(2)) : -1;
  }

  private void publish(int first, int count) throws Exception {
    JsonArray events = new JsonArray();
    for (int i = first; i < first + count; i++) {
      events.add(new JsonObject().put("type", "FLOOD").put("data", new JsonObject().put("n", i).put("text", TEXT)));
    }
    assertEquals(201, node.call(HttpMethod.POST, "/api/streams/app.flood/events", token, events).status());
  }

  @Test
  @SuppressWarnings("unchecked")
  void aStalledBrowserIsPausedThenCatchesUpByReadsWithoutAGap() throws Exception {
    Page page = context.newPage();
    page.navigate("http://127.0.0.1:" + proxy.port() + "/"); // the page and its socket go through the proxy
    page.evaluate("""
      async token => {
        const { Hubbub } = await import('/js/hubbub.js');
        window.seen = [];
        window.states = [];
        window.hub = new Hubbub({ token, onState: s => window.states.push(s) });
        await window.hub.connect();
        window.hub.subscribe('app.flood', {}, e => window.seen.push(e.seq));
      }""", token);
    publish(1, BATCH);
    page.waitForFunction("n => window.seen.length === n", BATCH);

    proxy.stall(); // the browser stops reading: the gateway's writes to it back up
    for (int first = BATCH + 1; first <= EVENTS; first += BATCH) {
      publish(first, BATCH);
    }
    long deadline = System.currentTimeMillis() + 30_000;
    while (metric("hubbub_live_paused_total") < 1 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(metric("hubbub_live_paused_total") >= 1, "live delivery to the stalled browser paused");
    proxy.flow();

    page.waitForFunction("n => window.seen.length >= n", EVENTS, new Page.WaitForFunctionOptions().setTimeout(60_000));
    page.waitForTimeout(1_000); // any stray repeat would arrive now
    Map<String, Object> result = (Map<String, Object>) page.evaluate("() => ({ seen: window.seen, states: window.states })");
    List<Integer> seen = new ArrayList<>();
    ((List<?>) result.get("seen")).forEach(n -> seen.add(((Number) n).intValue()));
    assertEquals(IntStream.rangeClosed(1, EVENTS).boxed().toList(), seen, "every event once, in order");
    assertEquals(List.of("connecting", "open"), result.get("states"), "caught up on the same connection, no reconnect");
    assertTrue(metric("hubbub_live_skipped_total") >= 1, "events were skipped live and read instead");
  }
}
