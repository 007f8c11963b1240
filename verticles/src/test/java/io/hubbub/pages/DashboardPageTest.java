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
import java.time.temporal.ChronoUnit;
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

  /** A temperature reading of gh1, now. */
  private void post(String key, double value) throws Exception {
    post("gh1", key, "temperature", value, "C");
  }

  private void post(String device, String key, String kind, double value, String unit) throws Exception {
    post(device, key, kind, value, unit, Instant.now());
  }

  private void post(String device, String key, String kind, double value, String unit, Instant at) throws Exception {
    JsonObject reading = new JsonObject().put("kind", kind).put("value", value).put("unit", unit).put("at", at.toString());
    assertEquals(201, node.call(HttpMethod.POST, "/api/sensors/" + device + "/readings", key, reading).status());
  }

  /** Registers device {@code gh<n>} ("Greenhouse <n>") as the admin; answers its key. */
  private String device(int n) throws Exception {
    String admin = await(node.adminToken());
    return node.call(HttpMethod.POST, "/api/devices", admin, new JsonObject().put("deviceId", "gh" + n).put("name", "Greenhouse " + n))
      .json().getString("key");
  }

  /** The dashboard in a new page of {@code context}, signed in as the admin. */
  private Page signedIn(BrowserContext context) {
    Page page = context.newPage();
    page.onPageError(error -> pageErrors.add(error));
    page.navigate("http://127.0.0.1:" + node.port + "/sensors");
    page.getByLabel("Username").fill(TestConf.ADMIN);
    page.getByLabel("Password").fill(TestConf.ADMIN_PASSWORD);
    page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Log in")).click();
    return page;
  }

  @Test
  void oneChartPerKindWhateverTheClicksAlertingKindFirstWithUnitsAndALogOut() throws Exception {
    String one = device(1);
    String two = device(2);
    post("gh1", one, "temperature", 21, "C");
    post("gh1", one, "humidity", 40, "%");
    post("gh2", two, "temperature", 19, "C");

    BrowserContext context = chromium.context(1280, 800);
    Page page = signedIn(context);
    Locator devices = page.getByRole(AriaRole.LIST, new Page.GetByRoleOptions().setName("Devices"));
    Locator first = devices.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName(Pattern.compile("Greenhouse 1")));
    Locator second = devices.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName(Pattern.compile("Greenhouse 2")));
    assertThat(second).isVisible();
    for (Locator device : List.of(second, first, second, first)) {
      device.click(); // faster than the charts' history loads: each choice draws only its own
    }
    page.waitForTimeout(1_500);
    Locator charts = page.locator("figure.chart");
    assertThat(charts).hasCount(2);
    assertThat(page.locator("figure.chart[data-kind=temperature]")).hasCount(1);
    assertThat(charts.first()).hasAttribute("data-kind", "humidity"); // by name while nothing alerts
    assertThat(page.locator("figure.chart[data-kind=temperature] figcaption .title")).hasText("temperature (C)");
    int span = Integer.parseInt(page.locator("figure.chart[data-kind=temperature]").getAttribute("data-span"));
    assertTrue(span >= 3_600 && span <= 2 * 3_600, "the time axis shows the last hour, not years: " + span + " s");
    var figure = page.locator("figure.chart[data-kind=temperature]").boundingBox();
    var canvas = page.locator("figure.chart[data-kind=temperature] canvas").boundingBox();
    assertTrue(canvas.x + canvas.width <= figure.x + figure.width, "the chart fits its card");

    post("gh1", one, "temperature", 35.5, "C"); // above 30: an alert on gh1's temperature
    assertThat(devices).containsText("1 alert");
    second.click();
    first.click();
    assertThat(charts.first()).hasAttribute("data-kind", "temperature"); // the alerting kind first

    // the latest reading is the latest in time: one at a whole second ("…:06Z", no fraction) is not newer than one
    // 40 ms after it ("…:06.040Z"), as their text would sort
    Instant whole = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    post("gh2", two, "temperature", 19.5, "C", whole);
    post("gh2", two, "temperature", 19.7, "C", whole.plusMillis(40));
    assertThat(second).containsText("temperature 19.70 C");
    Files.createDirectories(Chromium.SCREENSHOTS);
    page.screenshot(new Page.ScreenshotOptions().setPath(Chromium.SCREENSHOTS.resolve("sensors-switching.png")));

    page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Log out")).click();
    assertThat(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Log in"))).isVisible();
    assertTrue(pageErrors.isEmpty(), pageErrors.toString());
    context.close();
  }

  @Test
  void theChartAndTheAlertFeedMoveLive() throws Exception {
    String key = device(1);
    post(key, 22.5);

    BrowserContext context = chromium.context(1280, 800);
    Page page = signedIn(context);

    Locator devices = page.getByRole(AriaRole.LIST, new Page.GetByRoleOptions().setName("Devices"));
    assertThat(devices).containsText("Greenhouse 1");
    assertThat(devices).containsText("temperature 22.50 C");
    Locator chart = page.locator("figure.chart[data-kind=temperature]");
    assertThat(chart.locator("canvas")).hasCount(1);
    assertThat(chart).hasAttribute("data-points", "1"); // the history: one minute's aggregate
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

  /** The share of a chart's canvas row at its first threshold that is painted the threshold's red. */
  private static double redAtThreshold(Page page, String kind) {
    return ((Number) page.evaluate("kind => {"
      + " const figure = document.querySelector(`figure.chart[data-kind=${kind}]`);"
      + " const row = JSON.parse(figure.dataset.thresholds)[0];"
      + " const canvas = figure.querySelector('canvas');"
      + " const pixels = canvas.getContext('2d').getImageData(0, row, canvas.width, 1).data;"
      + " let red = 0;"
      + " for (let i = 0; i < pixels.length; i += 4) { if (pixels[i] > 170 && pixels[i + 1] < 90 && pixels[i + 2] < 100) red++; }"
      + " return red / canvas.width; }", kind)).doubleValue();
  }

  @Test
  void alertThresholdsAreDrawnAndTheTimeRangeReadsMinutesOrHoursAndIsKept() throws Exception {
    String key = device(1);
    post(key, 22);
    post("gh1", key, "humidity", 40, "%");

    BrowserContext context = chromium.context(1280, 800);
    Page page = signedIn(context);
    Locator temperature = page.locator("figure.chart[data-kind=temperature]");
    assertThat(temperature).hasAttribute("data-points", "1");
    assertThat(temperature.locator("figcaption")).containsText("alert above 30 C");
    assertThat(temperature).hasAttribute("data-thresholds", Pattern.compile("^\\[\\d+\\]$"));
    double red = redAtThreshold(page, "temperature");
    assertTrue(red > 0.2, "a dashed red line across the chart at 30: " + red + " of the row is red");
    assertThat(page.locator("figure.chart[data-kind=humidity]")).hasAttribute("data-thresholds", "[]"); // no rule: no line

    Locator range = page.getByLabel("Time range");
    assertThat(range).hasValue("60");
    range.selectOption("10080"); // the last 7 days: the hours' aggregates
    assertThat(temperature).hasAttribute("data-points", "1");
    int span = Integer.parseInt(temperature.getAttribute("data-span"));
    assertTrue(span >= 7 * 86_400 && span <= 8 * 86_400, "the time axis shows 7 days: " + span + " s");
    assertTrue(redAtThreshold(page, "temperature") > 0.2, "the threshold drawn at every range");
    page.reload();
    assertThat(range).hasValue("10080"); // kept for the next visit
    assertThat(temperature).hasAttribute("data-points", "1");
    range.selectOption("15");
    assertThat(temperature).hasAttribute("data-span", Pattern.compile("^(9\\d\\d)$")); // 15 minutes: 900 s and the few since
    assertThat(temperature).hasAttribute("data-points", "1"); // this range's history drawn
    post(key, 23); // live readings drawn as they come at minute ranges
    assertThat(temperature).hasAttribute("data-points", "2");
    assertThat(temperature.locator(".reading")).containsText("23 C"); // the latest value, named (no "Time: --" legend)
    Files.createDirectories(Chromium.SCREENSHOTS);
    page.screenshot(new Page.ScreenshotOptions().setPath(Chromium.SCREENSHOTS.resolve("sensors-thresholds.png")));
    assertTrue(pageErrors.isEmpty(), pageErrors.toString());
    context.close();
  }

  @Test
  void onAPhoneDevicesAreAStripAndChartsFitTheScreen() throws Exception {
    for (int i = 1; i <= 4; i++) {
      post("gh" + i, device(i), "temperature", 20 + i, "C");
    }
    BrowserContext context = chromium.context(390, 844);
    Page page = signedIn(context);
    Locator chart = page.locator("figure.chart[data-kind=temperature]");
    assertThat(chart).hasAttribute("data-points", "1");
    @SuppressWarnings("unchecked")
    java.util.Map<String, Number> layout = (java.util.Map<String, Number>) page.evaluate("() => {"
      + " const box = selector => document.querySelector(selector).getBoundingClientRect();"
      + " const devices = document.getElementById('devices');"
      + " return {pageOver: document.documentElement.scrollWidth - innerWidth,"
      + "  canvasRight: box('figure.chart canvas').right, figureRight: box('figure.chart').right, width: innerWidth,"
      + "  stripHeight: box('#devices').height, chartTop: box('figure.chart').top,"
      + "  logoutRight: box('#logout').right, devicesScroll: devices.scrollWidth - devices.clientWidth}; }");
    assertEquals(0, layout.get("pageOver").intValue(), "nothing wider than the phone: " + layout);
    assertTrue(layout.get("canvasRight").doubleValue() <= layout.get("figureRight").doubleValue()
      && layout.get("figureRight").doubleValue() <= layout.get("width").doubleValue(), "the chart inside its card and the screen: " + layout);
    assertTrue(layout.get("stripHeight").doubleValue() < 120, "the devices a strip, not a column: " + layout);
    assertTrue(layout.get("devicesScroll").doubleValue() > 0, "four devices scroll along the strip: " + layout);
    assertTrue(layout.get("chartTop").doubleValue() < 400, "the chart in the first screen: " + layout);
    assertTrue(layout.get("logoutRight").doubleValue() <= layout.get("width").doubleValue(), "Log out on screen: " + layout);
    page.getByRole(AriaRole.LIST, new Page.GetByRoleOptions().setName("Devices"))
      .getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName(Pattern.compile("Greenhouse 4"))).click();
    assertThat(page.locator("#device-title")).hasText("Greenhouse 4");
    Files.createDirectories(Chromium.SCREENSHOTS);
    page.screenshot(new Page.ScreenshotOptions().setPath(Chromium.SCREENSHOTS.resolve("sensors-phone.png")));
    assertTrue(pageErrors.isEmpty(), pageErrors.toString());
    context.close();
  }
}
