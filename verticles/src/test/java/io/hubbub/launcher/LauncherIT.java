package io.hubbub.launcher;

import io.hubbub.support.HubbubProcess;
import io.hubbub.support.ProcessFixture;
import io.hubbub.support.TestConf;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
    HttpClient http = fixture.http(process.awaitStarted(), 1);
    Pattern created = Pattern.compile("created admin user \\[username: admin, password: ([A-Za-z0-9_-]{16,})]");
    List<String> passwords = process.output().stream().map(created::matcher).filter(Matcher::find).map(m -> m.group(1)).toList();
    assertEquals(1, passwords.size(), String.join("\n", process.output()));
    JsonObject session = ProcessFixture.call(http, HttpMethod.POST, "/api/sessions", null,
      new JsonObject().put("username", "admin").put("password", passwords.get(0))).await(30, TimeUnit.SECONDS);
    assertEquals("admin", session.getString("username"));
    http.close();
    assertEquals(0, process.terminate());
  }

  @Test
  void sigtermStopsGracefullyAndTheDataStays() throws Exception {
    JsonObject conf = HubbubProcess.conf();
    HubbubProcess first = start(conf, Map.of());
    HttpClient http = fixture.http(first.awaitStarted(), 1);
    JsonObject admin = new JsonObject().put("username", "admin").put("password", TestConf.ADMIN_PASSWORD);
    String token = ProcessFixture.call(http, HttpMethod.POST, "/api/sessions", null, admin).await(30, TimeUnit.SECONDS).getString("token");
    ProcessFixture.call(http, HttpMethod.POST, "/api/streams/app.kept/events", token,
      new JsonObject().put("type", "KEPT").put("data", new JsonObject().put("v", 1))).await(30, TimeUnit.SECONDS);
    http.close();
    assertEquals(0, first.terminate());
    assertTrue(first.output().stream().anyMatch(l -> l.contains("stopped")), "logs a graceful stop");

    HubbubProcess second = start(conf, Map.of());
    HttpClient again = fixture.http(second.awaitStarted(), 1);
    JsonObject page = ProcessFixture.call(again, HttpMethod.GET, "/api/streams/app.kept/events", token, null).await(30, TimeUnit.SECONDS);
    again.close();
    assertEquals(1, page.getJsonArray("events").size(), "the session and the event survive the restart");
    assertEquals("KEPT", page.getJsonArray("events").getJsonObject(0).getString("type"));
    assertTrue(second.output().stream().noneMatch(l -> l.contains("created admin user")), "the admin is created once");
    assertEquals(0, second.terminate());
  }
}
