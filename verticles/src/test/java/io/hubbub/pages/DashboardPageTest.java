package io.hubbub.pages;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import io.hubbub.support.Chromium;
import io.hubbub.support.TestConf;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sensor dashboard in a real Chromium: devices, a live chart and the alert feed move as readings arrive. */
class DashboardPageTest {

  private Chromium chromium;
  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("sensors").put("alerts", new JsonArray()
    .add(new JsonObject().put("kind", "temperature").put("above", 30).put("forSeconds", 0).put("hysteresis", 1))));
  private TestNode node;
  private final List<String> pageErrors = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    chromium = Chromium.launch();
    PlaywrightAssertions.setDefaultAssertionTimeout(15_000);
  }

  @AfterEach
  void stop() throws Exception {
    chromium.close();
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.await(60, TimeUnit.SECONDS); // Vert.x's own blocking wait: toCompletionStage().get() was seen to hang here
  }

  private void post(String key, double value) throws Exception {
    JsonObject reading = new JsonObject().put("kind", "temperature").put("value", value).put("unit", "C")
      .put("at", Instant.now().toString());
    assertEquals(201, node.call(HttpMethod.POST, "/api/sensors/gh1/readings", key, reading).status());
  }

  @Test
  void theChartAndTheAlertFeedMoveLive() throws Exception {
    String admin = await(node.adminToken());
    String key = node.call(HttpMethod.POST, "/api/devices", admin, new JsonObject().put("deviceId", "gh1").put("name", "Greenhouse 1"))
      .json().getString("key");
    post(key, 22.5);

    BrowserContext context = chromium.context(1280, 800);
    Page page = context.newPage();
    page.onPageError(error -> pageErrors.add(error));
    page.navigate("http://127.0.0.1:" + node.port + "/sensors");
    page.getByLabel("Username").fill(TestConf.ADMIN);
    page.getByLabel("Password").fill(TestConf.ADMIN_PASSWORD);
    page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Log in")).click();

    Locator devices = page.getByRole(AriaRole.LIST, new Page.GetByRoleOptions().setName("Devices"));
    assertThat(devices).containsText("Greenhouse 1");
    assertThat(devices).containsText("temperature 22.50 C");
    Locator chart = page.locator("figure.chart[data-kind=temperature]");
    assertThat(chart.locator("canvas")).hasCount(1);
    int before = Integer.parseInt(chart.getAttribute("data-points"));

    for (double value : new double[] {23.1, 24.2, 25.3}) {
      post(key, value);
    }
    assertThat(devices).containsText("temperature 25.30 C");
    assertThat(chart).hasAttribute("data-points", String.valueOf(before + 3));

    post(key, 35.5);
    Locator alerts = page.getByRole(AriaRole.LOG, new Page.GetByRoleOptions().setName("Alerts"));
    assertThat(alerts).containsText(Pattern.compile("ALERT gh1: temperature above 30\\.0"));
    assertThat(devices).containsText("1 alert");
    post(key, 20);
    assertThat(alerts.locator("li").first()).containsText("RESOLVED gh1");
    assertThat(devices).not().containsText("1 alert");

    Files.createDirectories(Chromium.SCREENSHOTS);
    page.screenshot(new Page.ScreenshotOptions().setPath(Chromium.SCREENSHOTS.resolve("sensors-desktop.png")));
    assertTrue(pageErrors.isEmpty(), pageErrors.toString());
    context.close();
  }
}
