package io.hubbub.launcher;

import io.hubbub.client.HubbubHttp;
import io.hubbub.support.HubbubProcess;
import io.hubbub.support.ProcessFixture;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestStore;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The jar as a user runs it: a bad conf refuses to start, SIGTERM stops cleanly, data outlives the process. */
class LauncherIT {

  private ProcessFixture fixture;

  @BeforeEach
  void setUp() throws Exception {
    fixture = new ProcessFixture("hubbub-launcher");
  }

  @AfterEach
  void tearDown() throws Exception {
    fixture.close();
  }

  private HubbubProcess start(JsonObject conf, Map<String, String> env) throws Exception {
    return fixture.start(conf, env);
  }

  @Test
  void aBadConfStopsStartUpWithOneLineAndExitCode2() throws Exception {
    JsonObject conf = HubbubProcess.conf();
    conf.getJsonObject("http").put("port", "eighty");
    HubbubProcess process = start(conf, Map.of("HUBBUB_HTTP_PORT", "8080x"));
    assertEquals(2, process.awaitExit());
    List<String> errors = process.output().stream().filter(l -> l.startsWith("hubbub: bad conf:")).toList();
    assertEquals(List.of("hubbub: bad conf: HUBBUB_HTTP_PORT: expected an integer from 0 to 65535, got '8080x'"), errors);
  }

  @Test
  void aMissingConfFileIsNamed() throws Exception {
    HubbubProcess process = start(HubbubProcess.conf(), Map.of("HUBBUB_CONF", fixture.dir.resolve("nowhere.json").toString()));
    assertEquals(2, process.awaitExit());
    assertTrue(process.output().stream().anyMatch(l -> l.startsWith("hubbub: bad conf: HUBBUB_CONF: expected a readable conf file")),
      String.join("\n", process.output()));
  }

  @Test
  void withoutAnAdminPasswordARandomOneIsLoggedOnceAndWorks() throws Exception {
    HubbubProcess process = start(HubbubProcess.conf(), Map.of("HUBBUB_ADMIN_PASSWORD", ""));
    HubbubHttp http = fixture.http(process.awaitStarted(), 1);
    Pattern created = Pattern.compile("created admin user \\[username: admin, password: ([A-Za-z0-9_-]{16,})]");
    List<String> passwords = process.output().stream().map(created::matcher).filter(Matcher::find).map(m -> m.group(1)).toList();
    assertEquals(1, passwords.size(), String.join("\n", process.output()));
    JsonObject session = http.call(HttpMethod.POST, "/api/sessions", null,
      new JsonObject().put("username", "admin").put("password", passwords.get(0))).await(30, TimeUnit.SECONDS);
    assertEquals("admin", session.getString("username"));
    http.close();
    assertEquals(0, process.terminate());
  }

  @Test
  void sigtermStopsGracefullyAndTheDataStays() throws Exception {
    JsonObject conf = HubbubProcess.conf();
    HubbubProcess first = start(conf, Map.of());
    HubbubHttp http = fixture.http(first.awaitStarted(), 1);
    JsonObject admin = new JsonObject().put("username", "admin").put("password", TestConf.ADMIN_PASSWORD);
    String token = http.call(HttpMethod.POST, "/api/sessions", null, admin).await(30, TimeUnit.SECONDS).getString("token");
    http.call(HttpMethod.POST, "/api/streams/app.kept/events", token,
      new JsonObject().put("type", "KEPT").put("data", new JsonObject().put("v", 1))).await(30, TimeUnit.SECONDS);
    http.close();
    assertEquals(0, first.terminate());
    assertTrue(first.output().stream().anyMatch(l -> l.contains("stopped")), "logs a graceful stop");

    HubbubProcess second = start(conf, Map.of());
    HubbubHttp again = fixture.http(second.awaitStarted(), 1);
    JsonObject page = again.call(HttpMethod.GET, "/api/streams/app.kept/events", token, null).await(30, TimeUnit.SECONDS);
    again.close();
    assertEquals(1, page.getJsonArray("events").size(), "the session and the event survive the restart");
    assertEquals("KEPT", page.getJsonArray("events").getJsonObject(0).getString("type"));
    assertTrue(second.output().stream().noneMatch(l -> l.contains("created admin user")), "the admin is created once");
    assertEquals(0, second.terminate());
  }

  /** The one line that says why start-up stopped; and nothing was created, nothing printed a stack trace. */
  private static void assertStoppedWithOneLine(HubbubProcess process, String start) {
    String output = String.join("\n", process.output());
    List<String> errors = process.output().stream().filter(l -> l.startsWith("hubbub: ")).toList();
    assertEquals(1, errors.size(), output);
    assertTrue(errors.get(0).startsWith(start), errors.get(0));
    assertTrue(process.output().stream().noneMatch(l -> l.startsWith("\tat ") || l.contains(" ERROR ")), "no stack trace:\n" + output);
    assertTrue(process.output().stream().noneMatch(l -> l.contains("created admin user") || l.contains("deployed [")),
      "stopped before anything was created:\n" + output);
  }

  @Test
  void aTakenPortStopsStartUpWithOneLineNamingIt() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      int port = taken.getLocalPort();
      HubbubProcess process = start(HubbubProcess.conf(), Map.of("HUBBUB_HTTP_PORT", String.valueOf(port), "HUBBUB_ADMIN_PASSWORD", ""));
      assertEquals(1, process.awaitExit());
      assertStoppedWithOneLine(process, "hubbub: cannot start: http.port " + port + " on 0.0.0.0 cannot be listened on");
    }
  }

  @Test
  void aDataFolderInUseStopsTheSecondProcessWithOneLine() throws Exception {
    HubbubProcess first = start(HubbubProcess.conf(), Map.of());
    first.awaitStarted();
    HubbubProcess second = fixture.start("second", HubbubProcess.conf(), Map.of("HUBBUB_DATA_DIR", fixture.dir.resolve("data").toString()));
    assertEquals(1, second.awaitExit());
    if (!TestStore.external()) { // with an external MongoDB there is no data folder to share
      assertStoppedWithOneLine(second, "hubbub: cannot start: data folder " + fixture.dir.resolve("data").toAbsolutePath() + " (HUBBUB_DATA_DIR) is in use");
    }
    assertEquals(0, first.terminate(), "the first one runs on");
  }

  @Test
  void anUnreachableStoreStopsStartUpWithOneLine() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    JsonObject conf = HubbubProcess.conf();
    conf.getJsonObject("mongo").put("timeoutMs", 1_000);
    HubbubProcess process = start(conf, Map.of("HUBBUB_MONGO_URI", "mongodb://127.0.0.1:" + closed));
    assertEquals(1, process.awaitExit());
    assertStoppedWithOneLine(process, "hubbub: cannot start: MongoDB at 127.0.0.1:" + closed + " (HUBBUB_MONGO_URI) did not answer within 1000 ms");
  }

  @Test
  void aBadVerticleConfigIsABadConf() throws Exception {
    JsonObject conf = HubbubProcess.conf();
    conf.getJsonArray("verticles").getJsonObject(0).put("config", new JsonObject().put("mongo", new JsonObject().put("timeoutMs", "5000")));
    HubbubProcess process = start(conf, Map.of());
    assertEquals(2, process.awaitExit());
    assertStoppedWithOneLine(process, "hubbub: bad conf: verticles[0].config: mongo.timeoutMs: expected an integer");
  }

  @Test
  void portZeroIsOneFreePortServedByEveryGatewayInstance() throws Exception {
    JsonObject conf = HubbubProcess.conf();
    conf.put("verticles", conf.getJsonArray("verticles").stream().map(JsonObject.class::cast)
      .map(v -> "gateway".equals(v.getString("name")) ? v.copy().put("instances", 2) : v).toList());
    conf.put("mqtt", new JsonObject().put("enabled", true).put("port", 0));
    HubbubProcess process = start(conf, Map.of());
    int port = process.awaitStarted();
    assertEquals(List.of(port, port), process.loggedPorts("gateway listening"), String.join("\n", process.output()));
    List<Integer> mqtt = process.loggedPorts("mqtt listening");
    assertEquals(2, mqtt.size(), String.join("\n", process.output()));
    assertEquals(mqtt.get(0), mqtt.get(1), "both instances listen for MQTT on one port");
    try (Socket device = new Socket(InetAddress.getLoopbackAddress(), mqtt.get(0))) {
      assertTrue(device.isConnected());
    }
    // Vert.x hands a shared port's connections to its servers in turn: both instances hold bridge sockets
    WebSocketClient client = fixture.vertx.createWebSocketClient();
    for (int i = 0; i < 4; i++) {
      client.connect(port, "127.0.0.1", "/eventbus/websocket").await(30, TimeUnit.SECONDS);
    }
    assertEquals(0, process.terminate());
    Pattern closing = Pattern.compile("closing bridge connections \\[count: (\\d+)]");
    List<Integer> counts = process.output().stream().map(closing::matcher).filter(Matcher::find)
      .map(m -> Integer.parseInt(m.group(1))).toList();
    assertEquals(List.of(2, 2), counts, String.join("\n", process.output()));
    client.close();
  }

  @Test
  void sigtermWithOpenWebSocketsClosesThemAndExitsAtOnce() throws Exception {
    HubbubProcess process = start(HubbubProcess.conf(), Map.of());
    int port = process.awaitStarted();
    WebSocketClient client = fixture.vertx.createWebSocketClient();
    for (int i = 0; i < 3; i++) {
      client.connect(port, "127.0.0.1", "/eventbus/websocket").await(30, TimeUnit.SECONDS);
    }
    long started = System.nanoTime();
    assertEquals(0, process.terminate());
    long ms = (System.nanoTime() - started) / 1_000_000;
    System.out.println("SIGTERM with 3 open WebSockets: exited in " + ms + " ms");
    // the server used to wait out its 5 s shutdown grace for them; it exits in about 1 s now (not a timing target)
    assertTrue(ms < 5_000, "exited in " + ms + " ms");
    assertTrue(process.output().stream().anyMatch(l -> l.contains("closing bridge connections [count: 3]")),
      String.join("\n", process.output()));
    client.close();
  }
}
