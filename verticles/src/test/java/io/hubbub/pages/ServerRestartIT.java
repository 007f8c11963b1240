package io.hubbub.pages;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import io.hubbub.client.BridgeClient;
import io.hubbub.client.HubbubHttp;
import io.hubbub.support.Chromium;
import io.hubbub.support.HubbubProcess;
import io.hubbub.support.ProcessFixture;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat page, and a browser's own EventSource, stay open while the server is stopped and started again: they
 * reconnect and miss nothing.
 */
class ServerRestartIT {

  private ProcessFixture fixture;
  private Chromium chromium;

  @BeforeEach
  void setUp() throws Exception {
    fixture = new ProcessFixture("restart");
    chromium = Chromium.launch();
    PlaywrightAssertions.setDefaultAssertionTimeout(20_000);
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      chromium.close();
    } finally {
      fixture.close();
    }
  }

  @Test
  void theChatPageResumesAfterARestartWithoutReload() throws Exception {
    JsonObject conf = HubbubProcess.conf();
    HubbubProcess first = fixture.start(conf, Map.of());
    int port = first.awaitStarted();
    HubbubHttp http = fixture.http(port, 2);
    String bobToken = signUp(http, "bob");

    BrowserContext context = chromium.context(1280, 800);
    Page alice = context.newPage();
    alice.navigate("http://127.0.0.1:" + port + "/");
    ChatPageTest.createAccount(alice, "alice");
    ChatPageTest.join(alice, "restart");
    BridgeClient bridge = BridgeClient.connect(fixture.vertx, port).await(30, TimeUnit.SECONDS).token(bobToken);
    bridge.request("chat.join", new JsonObject().put("room", "restart")).await(30, TimeUnit.SECONDS);
    post(http, bobToken, "before");
    assertThat(alice.getByRole(AriaRole.LOG).locator("li .text")).hasText(new String[] {"before"});
    alice.evaluate("() => { window.__loaded = true; }");
    http.close();

    assertEquals(0, first.terminate());
    assertThat(alice.getByRole(AriaRole.STATUS)).hasText(Pattern.compile("Reconnecting…|Connecting…"));

    HubbubProcess second = fixture.start(conf, Map.of("HUBBUB_HTTP_PORT", String.valueOf(port)));
    assertEquals(port, second.awaitStarted());
    HubbubHttp again = fixture.http(port, 2);
    for (int i = 1; i <= 5; i++) {
      post(again, bobToken, "after " + i);
    }
    assertThat(alice.getByRole(AriaRole.STATUS)).hasText("Connected");
    assertThat(alice.getByRole(AriaRole.LOG).locator("li .text"))
      .hasText(new String[] {"before", "after 1", "after 2", "after 3", "after 4", "after 5"});
    ChatPageTest.say(alice, "back again");
    assertThat(alice.getByRole(AriaRole.LOG).locator("li").last()).containsText("delivered");
    assertEquals(true, alice.evaluate("() => window.__loaded"), "the page was not reloaded");
    again.close();
    context.close();
    assertEquals(0, second.terminate());
  }

  @Test
  void anEventSourceResumesAfterARestartWithEveryEventOnceInOrder() throws Exception {
    JsonObject conf = HubbubProcess.conf();
    HubbubProcess first = fixture.start(conf, Map.of());
    int port = first.awaitStarted();
    HubbubHttp http = fixture.http(port, 2);
    String token = signUp(http, "carol");
    for (int i = 1; i <= 3; i++) {
      tick(http, token, i);
    }

    BrowserContext context = chromium.context(1280, 800);
    Page page = context.newPage();
    page.navigate("http://127.0.0.1:" + port + "/");
    // the browser's own EventSource: it sends no header, so the token goes in the query; it reconnects by itself
    // after the stream's 'retry' with the Last-Event-ID it saw
    page.evaluate("token => { window.__seen = []; window.__opens = 0;"
      + " const source = new EventSource('/api/streams/app.feed/live?after=0&access_token=' + encodeURIComponent(token));"
      + " source.onopen = () => window.__opens++;"
      + " source.addEventListener('TICK', e => window.__seen.push(Number(e.lastEventId) * 1000 + JSON.parse(e.data).data.n)); }",
      token);
    page.waitForFunction("() => window.__seen.length >= 3");
    http.close();

    assertEquals(0, first.terminate());
    HubbubProcess second = fixture.start(conf, Map.of("HUBBUB_HTTP_PORT", String.valueOf(port)));
    assertEquals(port, second.awaitStarted());
    HubbubHttp again = fixture.http(port, 2);
    for (int i = 4; i <= 7; i++) {
      tick(again, token, i);
    }
    page.waitForFunction("() => window.__seen.length >= 7");
    Thread.sleep(500); // anything sent twice would arrive now
    assertEquals(List.of(1001, 2002, 3003, 4004, 5005, 6006, 7007), page.evaluate("() => window.__seen"),
      "every event once, in order, each with its seq as its id");
    assertTrue(((Number) page.evaluate("() => window.__opens")).intValue() >= 2, "it reconnected to the restarted server");
    again.close();
    context.close();
    assertEquals(0, second.terminate());
  }

  /** Creates the user (password "password-" + name) and answers a session token for it. */
  private static String signUp(HubbubHttp http, String name) throws Exception {
    JsonObject credentials = new JsonObject().put("username", name).put("password", "password-" + name);
    http.call(HttpMethod.POST, "/api/users", null, credentials).await(30, TimeUnit.SECONDS);
    return http.call(HttpMethod.POST, "/api/sessions", null, credentials).await(30, TimeUnit.SECONDS).getString("token");
  }

  private static void tick(HubbubHttp http, String token, int n) throws Exception {
    http.call(HttpMethod.POST, "/api/streams/app.feed/events", token,
      new JsonObject().put("type", "TICK").put("data", new JsonObject().put("n", n))).await(30, TimeUnit.SECONDS);
  }

  private static void post(HubbubHttp http, String token, String text) throws Exception {
    http.call(HttpMethod.POST, "/api/streams/chat.restart/events", token,
      new JsonObject().put("type", "TEXT_MESSAGE").put("data", new JsonObject().put("text", text))).await(30, TimeUnit.SECONDS);
  }
}
