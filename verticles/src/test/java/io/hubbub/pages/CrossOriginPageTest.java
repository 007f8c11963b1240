package io.hubbub.pages;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import io.hubbub.support.Chromium;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A page served from another origin, listed in {@code http.cors.origins}, signs in, subscribes and publishes through
 * hubbub.js loaded from the gateway, in a real Chromium; a page from an origin not listed cannot call the API.
 */
class CrossOriginPageTest {

  /** In the page: sign in over fetch, import hubbub.js from the gateway, subscribe, publish, wait for the event. */
  private static final String SCRIPT = """
    async hub => {
      const login = await fetch(hub + '/api/sessions', { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'far', password: 'password-far' }) });
      const { token } = await login.json();
      const { Hubbub } = await import(hub + '/js/hubbub.js');
      const client = new Hubbub({ token, url: hub + '/eventbus', vendor: hub + '/vendor/' });
      await client.connect();
      const got = [];
      client.subscribe('app.far', { afterSeq: 0 }, event => got.push(event.data.n));
      const ack = await client.publish('app.far', 'NOTE', { n: 7 });
      const deadline = Date.now() + 15000;
      while (got.length < 1 && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 20));
      }
      client.close();
      return { status: login.status, seq: ack.seq, got };
    }
    """;

  private static Chromium chromium;
  /** The other site's server (not a Vertx field: the node extension fills those with the node's). */
  private static Callable<Void> closeSite;
  private static int pagePort;

  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("http")
    .put("cors", new JsonObject().put("origins", new JsonArray().add("http://127.0.0.1:" + pagePort))));
  private TestNode node;

  @BeforeAll
  static void launch() throws Exception {
    chromium = Chromium.launch();
    Vertx pages = Vertx.vertx();
    closeSite = () -> pages.close().await(30, TimeUnit.SECONDS);
    HttpServer site = pages.createHttpServer().requestHandler(request -> request.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .end("<!doctype html><title>Another site</title><p>A page of another origin."))
      .listen(0, "127.0.0.1").await(30, TimeUnit.SECONDS);
    pagePort = site.actualPort();
  }

  @AfterAll
  static void quit() throws Exception {
    try {
      if (chromium != null) {
        chromium.close();
      }
    } finally {
      if (closeSite != null) {
        closeSite.call();
      }
    }
  }

  @Test
  void aListedOriginsPageSignsInSubscribesAndPublishesThroughHubbubJs() throws Exception {
    node.user("far").await(30, TimeUnit.SECONDS);
    BrowserContext context = chromium.context(1280, 800);
    Page page = context.newPage();
    page.navigate("http://127.0.0.1:" + pagePort + "/");
    @SuppressWarnings("unchecked")
    Map<String, Object> result = (Map<String, Object>) page.evaluate(SCRIPT, "http://127.0.0.1:" + node.port);
    assertEquals(201, result.get("status"));
    assertEquals(1, result.get("seq"));
    assertEquals(List.of(7), result.get("got"), "the page's own subscription got its event");
    context.close();
  }

  @Test
  void aPageOfAnOriginNotListedCannotCallTheApi() {
    BrowserContext context = chromium.context(1280, 800);
    Page page = context.newPage();
    page.navigate("http://localhost:" + pagePort + "/"); // another origin than http://127.0.0.1:<port>
    Object error = page.evaluate("hub => fetch(hub + '/api/sessions', { method: 'POST', headers: { 'content-type': "
      + "'application/json' }, body: '{}' }).then(() => 'answered', e => e.name)", "http://127.0.0.1:" + node.port);
    assertEquals("TypeError", error, "the browser refuses to let the page read the answer");
    Object imported = page.evaluate("hub => import(hub + '/js/hubbub.js').then(() => 'loaded', e => e.name)",
      "http://127.0.0.1:" + node.port);
    assertTrue(!"loaded".equals(imported), "nor import hubbub.js: " + imported);
    context.close();
  }
}
