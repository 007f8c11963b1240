package io.hubbub.bench;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import io.hubbub.Node;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/**
 * Time from chat.send in one browser to the message on screen in another: two Chromium pages on the
 * chat page, one room; the sender stamps each message as it submits it, the receiver as the message
 * enters its DOM (both on the browser's clock). One message at a time, after a warm-up. Also prints
 * the size of what the page loads.
 *
 * <pre>java -cp bench/target/hubbub-bench.jar io.hubbub.bench.ChatLatencyBench [messages, default 200]</pre>
 */
public final class ChatLatencyBench {

  private static final int WARMUP = 500;
  private static final List<String> ASSETS = List.of("/", "/css/chat.css", "/js/chat.js", "/js/hubbub.js",
    "/vendor/vertx-eventbus.js", "/vendor/sockjs.min.js");

  private ChatLatencyBench() {
  }

  static void run(int messages) throws Exception {
    try (BenchStore bench = BenchStore.start("hubbub-chat-bench")) {
      int port = BenchStore.freePort();
      JsonObject conf = bench.conf(port);
      conf.getJsonObject("chat").put("rateLimit", new JsonObject().put("messages", 1_000_000).put("perSeconds", 1));
      Node node = Node.start(bench.vertx, conf).await(60, TimeUnit.SECONDS);
      try {
        sizes(port);
        latency(port, messages);
      } finally {
        node.undeploy().await(60, TimeUnit.SECONDS);
      }
    }
  }

  private static void sizes(int port) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long total = 0;
    long gzipped = 0;
    System.out.printf("%-28s %10s %10s%n", "page asset", "bytes", "gzip");
    for (String asset : ASSETS) {
      byte[] body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + asset)).build(),
        HttpResponse.BodyHandlers.ofByteArray()).body();
      ByteArrayOutputStream packed = new ByteArrayOutputStream();
      try (GZIPOutputStream gzip = new GZIPOutputStream(packed)) {
        gzip.write(body);
      }
      System.out.printf("%-28s %10d %10d%n", asset, body.length, packed.size());
      total += body.length;
      gzipped += packed.size();
    }
    System.out.printf("%-28s %10d %10d%n%n", "total", total, gzipped);
  }

  private static void latency(int port, int messages) {
    try (Playwright playwright = Playwright.create(new Playwright.CreateOptions()
      .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")))) {
      Browser browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
        .setExecutablePath(Path.of(System.getenv().getOrDefault("HUBBUB_CHROMIUM", "/usr/bin/chromium")))
        .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update")));
      Page sender = signedIn(browser, port, "sender");
      Page receiver = signedIn(browser, port, "receiver");
      sender.evaluate("""
        () => {
          window.__acked = {};
          new MutationObserver(records => {
            const now = performance.timeOrigin + performance.now();
            records.forEach(r => [r.target.closest && r.target.closest('li'), ...r.addedNodes].forEach(li => {
              const text = li && li.querySelector && li.querySelector('.text');
              if (text && li.dataset.status === 'TEXT_SUCCESS' && window.__acked[text.textContent] === undefined) {
                window.__acked[text.textContent] = now;
              }
            }));
          }).observe(document.getElementById('messages'), { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
        }""");
      receiver.evaluate("""
        () => {
          window.__seen = {};
          new MutationObserver(records => {
            const now = performance.timeOrigin + performance.now();
            records.forEach(r => r.addedNodes.forEach(n => {
              const text = n.querySelector && n.querySelector('.text');
              if (text && window.__seen[text.textContent] === undefined) window.__seen[text.textContent] = now;
            }));
          }).observe(document.getElementById('messages'), { childList: true });
        }""");
      Histogram latencies = new Histogram(3); // microseconds
      Histogram acks = new Histogram(3);
      for (int i = 1; i <= WARMUP + messages; i++) {
        String text = "lat " + i;
        double sent = ((Number) sender.evaluate("""
          text => {
            const t = performance.timeOrigin + performance.now();
            document.getElementById('message').value = text;
            document.getElementById('send-form').requestSubmit();
            return t;
          }""", text)).doubleValue();
        receiver.waitForFunction("text => window.__seen[text] !== undefined", text);
        double seen = ((Number) receiver.evaluate("text => window.__seen[text]", text)).doubleValue();
        sender.waitForFunction("text => window.__acked[text] !== undefined", text);
        double acked = ((Number) sender.evaluate("text => window.__acked[text]", text)).doubleValue();
        if (i > WARMUP) {
          latencies.recordValue(Math.round((seen - sent) * 1_000));
          acks.recordValue(Math.round((acked - sent) * 1_000));
        }
      }
      System.out.printf("%d messages one at a time (after %d warm-up):%n", messages, WARMUP);
      print("chat.send to display in another browser", latencies);
      print("chat.send to 'delivered' in the sender", acks);
      browser.close();
    }
  }

  private static Page signedIn(Browser browser, int port, String user) {
    Page page = browser.newContext().newPage();
    page.navigate("http://127.0.0.1:" + port + "/");
    page.getByLabel("Username").fill(user);
    page.getByLabel("Password").fill("password-" + user);
    page.locator("#register-button").click();
    page.getByText("Connected").waitFor();
    page.locator("#room").fill("bench");
    page.locator("#join-form button").click();
    page.getByText("# bench").waitFor();
    return page;
  }

  private static void print(String what, Histogram micros) {
    System.out.printf("  %-42s median %5.1f ms, p90 %5.1f ms, p99 %5.1f ms, max %5.1f ms, mean %5.1f ms%n", what,
      micros.getValueAtPercentile(50) / 1e3, micros.getValueAtPercentile(90) / 1e3, micros.getValueAtPercentile(99) / 1e3,
      micros.getMaxValue() / 1e3, micros.getMean() / 1e3);
  }
}
