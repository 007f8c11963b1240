package io.hubbub.pages;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import io.hubbub.support.Chromium;
import io.hubbub.support.TcpProxy;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat page in a real headless Chromium against a real node, driven by the page's accessible names. */
class ChatPageTest {

  private static Chromium chromium;
  private Vertx vertx;
  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("chat").getJsonObject("rateLimit").put("messages", 1_000));
  private TestNode node;
  private final List<BrowserContext> contexts = new ArrayList<>();
  private final List<String> pageErrors = new ArrayList<>();

  @BeforeAll
  static void launch() {
    chromium = Chromium.launch();
    PlaywrightAssertions.setDefaultAssertionTimeout(15_000);
  }

  @AfterAll
  static void quit() {
    if (chromium != null) {
      chromium.close();
    }
  }

  @AfterEach
  void stop() throws Exception {
    contexts.forEach(BrowserContext::close);
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.await(60, TimeUnit.SECONDS); // Vert.x's own blocking wait: toCompletionStage().get() was seen to hang here
  }

  private Page open(int port, int width, int height) {
    BrowserContext context = chromium.context(width, height);
    contexts.add(context);
    Page page = context.newPage();
    page.onPageError(error -> pageErrors.add(error));
    page.onDialog(dialog -> {
      pageErrors.add("dialog opened: " + dialog.message());
      dialog.dismiss();
    });
    page.navigate("http://127.0.0.1:" + port + "/");
    return page;
  }

  private static Locator button(Page page, String name) {
    return page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName(name).setExact(true));
  }

  static void createAccount(Page page, String user) {
    page.getByLabel("Username").fill(user);
    page.getByLabel("Password").fill("password-" + user);
    button(page, "Create account").click();
    assertThat(page.getByRole(AriaRole.STATUS)).hasText("Connected");
  }

  static void join(Page page, String room) {
    page.getByLabel("Room", new Page.GetByLabelOptions().setExact(true)).fill(room);
    button(page, "Join").click();
    assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("# " + room))).isVisible();
    // joined: the room list, refreshed after the join, marks the room as the current one
    assertThat(page.locator("#room-list button[aria-current=true]")).hasText(Pattern.compile("^" + room + " \\(\\d+\\)$"));
  }

  static void say(Page page, String text) {
    page.getByLabel("Message").fill(text);
    page.getByLabel("Message").press("Enter");
  }

  private static Locator log(Page page) {
    return page.getByRole(AriaRole.LOG);
  }

  private static Locator online(Page page) {
    return page.getByRole(AriaRole.LIST, new Page.GetByRoleOptions().setName("Online"));
  }

  @Test
  void twoUsersChatSeePresenceAndMarkupStaysText() throws Exception {
    Page alice = open(node.port, 1280, 800);
    createAccount(alice, "alice");
    join(alice, "lobby");
    Page bob = open(node.port, 1280, 800);
    createAccount(bob, "bob");
    join(bob, "lobby");

    assertThat(online(alice).getByRole(AriaRole.LISTITEM)).hasText(new String[] {"alice", "bob"});

    say(bob, "hello alice");
    assertThat(log(alice).locator("li").last()).containsText("hello alice");
    assertThat(log(bob).locator("li").last()).containsText("delivered");

    String hostile = "<img src=x onerror=\"window.__pwned = 1; alert('pwned')\"> <b>bold?</b>";
    say(alice, hostile);
    assertThat(log(bob).locator("li").last().locator(".text")).hasText(hostile);
    assertEquals(0, log(bob).locator("img, b").count(), "markup in a message never becomes elements");
    assertNull(bob.evaluate("() => window.__pwned"), "the message's script never ran");

    // typing shows on the other side, then the screenshot, then a closed tab leaves the list (phones: below)
    bob.getByLabel("Message").pressSequentially("typing…");
    assertThat(alice.locator("#typing")).hasText("bob is typing…");
    Files.createDirectories(Chromium.SCREENSHOTS);
    alice.screenshot(new Page.ScreenshotOptions().setPath(Chromium.SCREENSHOTS.resolve("chat-desktop.png")));

    bob.context().close();
    assertThat(online(alice).getByRole(AriaRole.LISTITEM)).hasText(new String[] {"alice"});
    assertEquals(List.of(), pageErrors);
  }

  @Test
  void aDroppedConnectionCatchesUpWithoutReload() throws Exception {
    TcpProxy proxy = await(TcpProxy.to(vertx, node.port));
    try {
      Page alice = open(proxy.port(), 1280, 800);
      createAccount(alice, "alice");
      join(alice, "resume");
      Page bob = open(node.port, 1280, 800);
      createAccount(bob, "bob");
      join(bob, "resume");
      say(bob, "before");
      assertThat(log(alice).locator("li").last()).containsText("before");
      alice.evaluate("() => { window.__loaded = true; }");

      await(proxy.cut());
      assertThat(alice.getByRole(AriaRole.STATUS)).hasText(Pattern.compile("Reconnecting…|Connecting…"));
      for (int i = 1; i <= 5; i++) {
        say(bob, "missed " + i);
        assertThat(log(bob).locator("li").last()).containsText("delivered");
      }
      await(proxy.restore());

      assertThat(alice.getByRole(AriaRole.STATUS)).hasText("Connected");
      assertThat(log(alice).locator("li .text")).hasText(new String[] {"before", "missed 1", "missed 2", "missed 3", "missed 4", "missed 5"});
      assertEquals(true, alice.evaluate("() => window.__loaded"), "the page was not reloaded");
      assertEquals(List.of(), pageErrors);
    } finally {
      await(proxy.close());
    }
  }

  @Test
  void unsentMessagesAreKeptAcrossAReloadAndOneRetrySendsThemAllOnce() throws Exception {
    Page carol = open(node.port, 1280, 800);
    createAccount(carol, "carol");
    join(carol, "solo");
    say(carol, "x".repeat(10)); // delivered
    assertThat(log(carol).locator("li").last()).containsText("delivered");
    // the room's membership ends behind the page's back: the next messages fail (TEXT_ERROR), one retry for all
    behindThePagesBack("carol", "chat.leave", "solo");
    for (String text : List.of("after leaving", "and again", "third")) {
      say(carol, text);
      assertThat(log(carol).locator("li").last()).containsText("not sent (403)");
    }
    assertThat(log(carol).locator("li[data-status=TEXT_ERROR]")).hasCount(3);
    assertThat(carol.locator("#unsent")).containsText("3 messages not sent.");
    assertThat(carol.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName(Pattern.compile("^Retry")))).hasCount(1);

    // kept across a reload, with why
    carol.reload();
    assertThat(carol.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("# solo"))).isVisible();
    assertThat(log(carol).locator("li[data-status=TEXT_ERROR] .text")).hasText(new String[] {"after leaving", "and again", "third"});
    assertThat(carol.locator("#unsent")).containsText("3 messages not sent.");

    // joined again elsewhere (another client of the same user): one click sends the three, in order, each once
    behindThePagesBack("carol", "chat.join", "solo");
    button(carol, "Retry all").click();
    assertThat(carol.locator("#unsent")).isHidden();
    assertThat(log(carol).locator("li[data-status=TEXT_SUCCESS]")).hasCount(4);
    carol.reload();
    assertThat(log(carol).locator("li .text")).hasText(new String[] {"x".repeat(10), "after leaving", "and again", "third"});
    assertThat(carol.locator("#unsent")).isHidden();
    assertEquals(List.of(), pageErrors);
  }

  @Test
  void aLongRoomNameStaysInTheSidebarAndARefusedNameSaysWhatIsAllowed() throws Exception {
    Page hal = open(node.port, 1280, 800);
    createAccount(hal, "hal");
    hal.getByLabel("Room", new Page.GetByLabelOptions().setExact(true)).fill("café");
    button(hal, "Join").click();
    assertThat(hal.locator("#join-error")).hasText("Room names are 1 to 128 letters A-Z or a-z (no accents), digits, - or _");
    String longName = "a-very-long-room-name-".repeat(5) + "end";
    join(hal, longName);
    Locator item = hal.locator("#room-list button[aria-current=true]");
    assertThat(item).hasAttribute("title", longName);
    @SuppressWarnings("unchecked")
    java.util.Map<String, Number> boxes = (java.util.Map<String, Number>) hal.evaluate("() => {"
      + " const nav = document.querySelector('.rooms').getBoundingClientRect();"
      + " const button = document.querySelector('#room-list button[aria-current=true]').getBoundingClientRect();"
      + " const title = document.getElementById('room-title');"
      + " return {navRight: nav.right, buttonRight: button.right, titleOver: title.scrollWidth - title.clientWidth,"
      + "  titleRight: title.getBoundingClientRect().right, pageOver: document.documentElement.scrollWidth - innerWidth}; }");
    assertTrue(boxes.get("buttonRight").doubleValue() <= boxes.get("navRight").doubleValue(), "the room's button inside the sidebar: " + boxes);
    assertEquals(0, boxes.get("pageOver").intValue(), "nothing spills out of the page: " + boxes);
    hal.screenshot(new Page.ScreenshotOptions().setPath(Chromium.SCREENSHOTS.resolve("chat-long-room-name.png")));
    assertEquals(List.of(), pageErrors);
  }

  @Test
  void eachTabHasItsOwnSessionAndAnEndedOneGoesBackToLogIn() throws Exception {
    Page first = open(node.port, 1280, 800);
    createAccount(first, "erin");
    join(first, "tabs");
    Page second = first.context().newPage(); // a second window of the same browser
    second.navigate("http://127.0.0.1:" + node.port + "/");
    assertThat(button(second, "Log in")).isVisible();
    assertThat(button(second, "Log out")).isHidden();
    second.close();

    // the session ends behind the page's back (a logout elsewhere): the next send takes the tab to log in, saying why
    String token = (String) first.evaluate("() => JSON.parse(sessionStorage.getItem('hubbub.session')).token");
    assertEquals(204, node.call(HttpMethod.DELETE, "/api/sessions/current", token, null).status());
    say(first, "anyone?");
    assertThat(button(first, "Log in")).isVisible();
    assertThat(first.getByRole(AriaRole.ALERT)).containsText("session ended");
    assertEquals(List.of(), pageErrors);
  }

  @Test
  void aLongMessageIsCountedAndHeldNotCut() throws Exception {
    Page fay = open(node.port, 1280, 800);
    createAccount(fay, "fay");
    join(fay, "long");
    fay.getByLabel("Message").fill("y".repeat(5_000));
    assertThat(fay.locator("#counter")).hasText("5000 / 4000: 1000 too many");
    assertThat(button(fay, "Send")).isDisabled();
    assertEquals(5_000, ((Number) fay.evaluate("() => document.getElementById('message').value.length")).intValue(),
      "nothing is cut");
    fay.getByLabel("Message").fill("y".repeat(4_000));
    assertThat(fay.locator("#counter")).hasText("4000 / 4000");
    button(fay, "Send").click();
    assertThat(log(fay).locator("li").last()).containsText("delivered");
    assertThat(fay.locator("#counter")).isHidden();
  }

  @Test
  void onAPhoneTheComposerAndTheNewestMessageAreOnScreenAndRoomsAreADrawer() throws Exception {
    Page gus = open(node.port, 390, 844);
    createAccount(gus, "gus");
    join(gus, "pocket"); // no room yet: the drawer was open to pick one
    String token = node.call(HttpMethod.POST, "/api/sessions", null, new JsonObject().put("username", "gus")
      .put("password", "password-gus")).json().getString("token");
    for (int i = 1; i <= 60; i++) {
      assertEquals(201, node.call(HttpMethod.POST, "/api/streams/chat.pocket/events", token, new JsonObject()
        .put("type", "TEXT_MESSAGE").put("data", new JsonObject().put("text", "line " + i))).status());
    }
    gus.reload();
    assertThat(log(gus).locator("li .text").last()).hasText("line 60");
    assertThat(gus.locator("#room-list")).isHidden();
    assertTrue(onScreen(gus, gus.getByLabel("Message")), "the composer is on screen");
    assertTrue(onScreen(gus, log(gus).locator("li").last()), "the newest message is on screen");
    Files.createDirectories(Chromium.SCREENSHOTS);
    gus.screenshot(new Page.ScreenshotOptions().setPath(Chromium.SCREENSHOTS.resolve("chat-phone.png")));

    button(gus, "Rooms & people").click();
    assertThat(gus.locator("#room-list")).isVisible();
    assertThat(online(gus)).containsText("gus");
    gus.screenshot(new Page.ScreenshotOptions().setPath(Chromium.SCREENSHOTS.resolve("chat-phone-drawer.png")));
    gus.locator("#room-list button").first().click();
    assertThat(gus.locator("#room-list")).isHidden();
    assertEquals(List.of(), pageErrors);
  }

  @Test
  void roomsShowUnreadCountsMessagesGroupByPersonAndDayAndAnEmptyRoomSaysSo() throws Exception {
    Page ivy = open(node.port, 1280, 800);
    createAccount(ivy, "ivy");
    join(ivy, "busy");
    join(ivy, "quiet");
    assertThat(ivy.getByText("No messages here yet. Say hello!")).isVisible();
    say(ivy, "first");
    say(ivy, "second, right after");
    assertThat(log(ivy).locator("li").last()).containsText("delivered");
    assertThat(ivy.getByText("No messages here yet. Say hello!")).isHidden();
    assertThat(log(ivy).locator("li").first().locator(".day")).hasText("Today");
    assertThat(log(ivy).locator("li").last()).hasClass(Pattern.compile("\\bgrouped\\b"));
    assertThat(log(ivy).locator("li").last().locator(".day")).hasCount(0);

    // someone else talks in the room ivy is not looking at: its count in the list goes up
    String jay = node.user("jay").await(30, TimeUnit.SECONDS);
    node.bridge(jay).compose(bridge -> bridge.request("chat.join", new JsonObject().put("room", "busy"))).await(30, TimeUnit.SECONDS);
    for (int i = 1; i <= 3; i++) {
      assertEquals(201, node.call(HttpMethod.POST, "/api/streams/chat.busy/events", jay, new JsonObject()
        .put("type", "TEXT_MESSAGE").put("data", new JsonObject().put("text", "psst " + i))).status());
    }
    Locator busy = ivy.locator("#room-list li").filter(new Locator.FilterOptions().setHasText("busy"));
    assertThat(busy.locator(".unread")).hasText("3", new LocatorAssertions.HasTextOptions().setTimeout(20_000));
    busy.getByRole(AriaRole.BUTTON).click();
    assertThat(log(ivy).locator("li .text").last()).hasText("psst 3");
    assertThat(busy.locator(".unread")).hasCount(0);
    Files.createDirectories(Chromium.SCREENSHOTS);
    ivy.screenshot(new Page.ScreenshotOptions().setPath(Chromium.SCREENSHOTS.resolve("chat-rooms-unread.png")));
    assertEquals(List.of(), pageErrors);
  }

  /** Whether the element lies wholly inside the viewport. */
  private static boolean onScreen(Page page, Locator element) {
    var box = element.boundingBox();
    var size = page.viewportSize();
    return box != null && box.y >= 0 && box.y + box.height <= size.height && box.x >= 0 && box.x + box.width <= size.width;
  }

  @Test
  void historyPagesBackAndAReturningUserLogsIn() throws Exception {
    Page dana = open(node.port, 1280, 800);
    createAccount(dana, "dana");
    join(dana, "history");
    String token = node.call(HttpMethod.POST, "/api/sessions", null, new JsonObject().put("username", "dana")
      .put("password", "password-dana")).json().getString("token");
    for (int i = 1; i <= 70; i++) {
      assertEquals(201, node.call(HttpMethod.POST, "/api/streams/chat.history/events", token, new JsonObject()
        .put("type", "TEXT_MESSAGE").put("data", new JsonObject().put("text", "old " + i))).status());
    }
    button(dana, "Log out").click();
    assertThat(button(dana, "Log in")).isVisible();
    dana.getByLabel("Username").fill("dana");
    dana.getByLabel("Password").fill("password-dana");
    button(dana, "Log in").click();
    // back in the room it was in: the last 50 messages, and the earlier ones on demand
    assertThat(log(dana).locator("li")).hasCount(50);
    assertThat(log(dana).locator("li .text").first()).hasText("old 21");
    button(dana, "Load earlier messages").click();
    assertThat(log(dana).locator("li")).hasCount(70);
    assertThat(log(dana).locator("li .text").first()).hasText("old 1");
    assertThat(button(dana, "Load earlier messages")).isHidden();
    assertEquals(List.of(), pageErrors);
  }

  /** The same user, from a raw bridge client: {@code chat.leave} or {@code chat.join}, unknown to the page. */
  private void behindThePagesBack(String user, String address, String room) throws Exception {
    String token = node.call(HttpMethod.POST, "/api/sessions", null, new JsonObject()
      .put("username", user).put("password", "password-" + user)).json().getString("token");
    io.hubbub.client.BridgeClient client = await(io.hubbub.client.BridgeClient.connect(vertx, node.port)).token(token);
    try {
      await(client.request(address, new JsonObject().put("room", room)));
    } finally {
      await(client.close());
    }
  }
}
