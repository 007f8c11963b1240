package io.hubbub.conf;

import io.hubbub.support.TestConf;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The conf is checked whole before start-up; each problem is one line naming the key. */
class ConfTest {

  @Test
  void theDefaultConfIsValid() {
    JsonObject conf = Conf.resolve(TestConf.defaults());
    assertEquals(8080, conf.getJsonObject("http").getInteger("port"));
    assertEquals("", conf.getJsonObject("mongo").getString("uri"), "no URI: the embedded store");
    assertEquals(Runtime.getRuntime().availableProcessors(), HubbubConf.of(conf).threads().eventLoopsToStart(),
      "one event loop a core");
  }

  @Test
  void environmentVariablesOverrideTheFile() {
    JsonObject merged = TestConf.defaults()
      .put("HUBBUB_HTTP_PORT", "9090")
      .put("HUBBUB_MONGO_URI", "mongodb://db.example:27017")
      .put("HUBBUB_DATA_DIR", "/var/lib/hubbub")
      .put("HUBBUB_ADMIN_PASSWORD", "s3cret-pass")
      .put("HUBBUB_CLUSTER_HOST", "10.0.0.5")
      .put("HUBBUB_CLUSTER_MEMBERS", "10.0.0.5, 10.0.0.6,");
    JsonObject conf = Conf.resolve(merged);
    assertEquals(9090, conf.getJsonObject("http").getInteger("port"));
    assertEquals("mongodb://db.example:27017", conf.getJsonObject("mongo").getString("uri"));
    assertEquals("/var/lib/hubbub", conf.getJsonObject("mongo").getString("dataDir"));
    assertEquals("s3cret-pass", conf.getJsonObject("auth").getString("adminPassword"));
    assertEquals("10.0.0.5", conf.getJsonObject("cluster").getString("host"));
    assertEquals(new JsonArray().add("10.0.0.5").add("10.0.0.6"), conf.getJsonObject("cluster").getJsonArray("members"));
    assertFalse(conf.containsKey("HUBBUB_HTTP_PORT"));
  }

  @Test
  void tlsFilesComeFromTheEnvironmentToo() {
    JsonObject conf = Conf.resolve(TestConf.defaults().put("HUBBUB_TLS_CERT", "pom.xml").put("HUBBUB_TLS_KEY", "pom.xml"));
    assertEquals(new JsonObject().put("cert", "pom.xml").put("key", "pom.xml"), conf.getJsonObject("http").getJsonObject("tls"));
  }

  static Stream<org.junit.jupiter.params.provider.Arguments> badConfs() {
    return Stream.of(
      bad("HUBBUB_HTTP_PORT", c -> c.put("HUBBUB_HTTP_PORT", "eighty")),
      bad("http.port", c -> c.getJsonObject("http").put("port", 70_000)),
      bad("http.port", c -> c.getJsonObject("http").put("port", "8080")),
      bad("http.prot", c -> c.getJsonObject("http").put("prot", 1)),
      bad("colour", c -> c.put("colour", "blue")),
      bad("mongo", c -> c.put("mongo", "mongodb://x")),
      bad("mongo.uri", c -> c.put("HUBBUB_MONGO_URI", "http://not-mongo")),
      bad("mongo.database", c -> c.getJsonObject("mongo").put("database", "a.b")),
      bad("mongo.timeoutMs", c -> c.getJsonObject("mongo").put("timeoutMs", 0)),
      bad("admins[0]", c -> c.put("admins", new JsonArray().add("not a name"))),
      bad("admins: expected a non-empty array of user names", c -> c.put("admins", new JsonArray())),
      bad("limits.maxBatch", c -> c.getJsonObject("limits").put("maxBatch", -5)),
      bad("threads.eventLoops", c -> c.put("threads", new JsonObject().put("eventLoops", -1))),
      bad("threads.eventLoops", c -> c.put("threads", new JsonObject().put("eventLoops", "2"))),
      bad("threads.loops", c -> c.put("threads", new JsonObject().put("loops", 2))),
      bad("http.websocketCompression", c -> c.getJsonObject("http").put("websocketCompression", "yes")),
      bad("limits.liveQueueBytes", c -> c.getJsonObject("limits").put("liveQueueBytes", 1_000)),
      bad("auth.passwordIterations", c -> c.getJsonObject("auth").put("passwordIterations", 10)),
      bad("auth.throttle.perUser", c -> c.getJsonObject("auth").put("throttle", new JsonObject().put("perUser", 0))),
      bad("auth.throttle.perMinute", c -> c.getJsonObject("auth").put("throttle", new JsonObject().put("perMinute", 5))),
      bad("auth.hashThreads", c -> c.getJsonObject("auth").put("hashThreads", 0)),
      bad("limits.maxReadBytes", c -> c.getJsonObject("limits").put("maxReadBytes", 10)),
      bad("limits.readsInFlight", c -> c.getJsonObject("limits").put("readsInFlight", 0)),
      bad("http.idleTimeoutSeconds", c -> c.getJsonObject("http").put("idleTimeoutSeconds", 0)),
      bad("http.requestTimeoutSeconds", c -> c.getJsonObject("http").put("requestTimeoutSeconds", "30")),
      bad("http.tls.key", c -> c.getJsonObject("http").put("tls", new JsonObject().put("cert", "pom.xml"))),
      bad("http.tls.cert", c -> c.put("HUBBUB_TLS_CERT", "/no/such/cert.pem").put("HUBBUB_TLS_KEY", "pom.xml")),
      bad("cluster.tls.ca", c -> c.getJsonObject("cluster").put("tls", new JsonObject().put("cert", "pom.xml").put("key", "pom.xml"))),
      bad("mongo.credentialsFile", c -> c.getJsonObject("mongo").put("credentialsFile", "")),
      bad("http.metrics", c -> c.getJsonObject("http").put("metrics", "secret")),
      bad("http.cors.origins[0]", c -> c.getJsonObject("http").put("cors", new JsonObject().put("origins", new JsonArray().add("app.example.com")))),
      bad("http.cors.origins[0]", c -> c.getJsonObject("http").put("cors", new JsonObject().put("origins", new JsonArray().add("https://app.example.com/chat")))),
      bad("http.cors.origins: expected either origins or * alone", c -> c.getJsonObject("http")
        .put("cors", new JsonObject().put("origins", new JsonArray().add("*").add("https://app.example.com")))),
      bad("namespaces.Bad", c -> c.getJsonObject("namespaces").put("Bad", new JsonObject().put("publish", "none").put("read", "none"))),
      bad("namespaces.app.read", c -> c.getJsonObject("namespaces").getJsonObject("app").put("read", "everyone")),
      bad("namespaces.app.retention.maxAgeSeconds", c -> c.getJsonObject("namespaces").getJsonObject("app")
        .put("retention", new JsonObject().put("maxAgeSeconds", 10))),
      bad("namespaces.app.retention.maxEvents", c -> c.getJsonObject("namespaces").getJsonObject("app")
        .put("retention", new JsonObject().put("maxEvents", "1000"))),
      bad("namespaces.app.retention", c -> c.getJsonObject("namespaces").getJsonObject("app")
        .put("retention", new JsonObject().put("maxDays", 30))),
      bad("storage.retentionSweepSeconds", c -> c.getJsonObject("storage").put("retentionSweepSeconds", 0)),
      bad("sensors.retention.minuteSeconds", c -> c.getJsonObject("sensors").put("retention", new JsonObject().put("minuteSeconds", 60))),
      bad("verticles", c -> c.put("verticles", new JsonArray())),
      bad("verticles[0].name", c -> c.getJsonArray("verticles").getJsonObject(0).put("name", "teleporter")),
      bad("verticles[1].instances", c -> c.getJsonArray("verticles").getJsonObject(1).put("instances", 2)),
      bad("verticles[2].instances", c -> c.getJsonArray("verticles").getJsonObject(2).put("instances", 0)),
      bad("chat.rateLimit.messages", c -> c.getJsonObject("chat").getJsonObject("rateLimit").put("messages", 0)),
      bad("chat.colour", c -> c.getJsonObject("chat").put("colour", "blue")),
      bad("verticles[0].instances", c -> c.put("verticles", new JsonArray().add(new JsonObject().put("name", "chat").put("instances", 2)))),
      bad("sensors.alerts[0]", c -> c.getJsonObject("sensors").getJsonArray("alerts").getJsonObject(0).put("below", 5)),
      bad("sensors.alerts[0].kind", c -> c.getJsonObject("sensors").getJsonArray("alerts").getJsonObject(0).put("kind", "Temp")),
      bad("sensors.alerts[0].forSeconds", c -> c.getJsonObject("sensors").getJsonArray("alerts").getJsonObject(0).put("forSeconds", -1)),
      bad("sensors.alerts[0].hysteresis", c -> c.getJsonObject("sensors").getJsonArray("alerts").getJsonObject(0).put("hysteresis", -1)),
      bad("audit.access.perRemote", c -> c.getJsonObject("audit").getJsonObject("access").put("perRemote", 0)),
      bad("cluster.enabled", c -> c.getJsonObject("cluster").put("enabled", "yes")),
      bad("cluster.name", c -> c.getJsonObject("cluster").put("name", "a b")),
      bad("cluster.members", c -> c.getJsonObject("cluster").put("members", new JsonArray())),
      bad("storage.partitions", c -> c.getJsonObject("storage").put("partitions", 0)),
      bad("mongo.embeddedPort", c -> c.getJsonObject("mongo").put("embeddedPort", 70_000)),
      bad("verticles[0].config: mongo.timeoutMs", c -> c.getJsonArray("verticles").getJsonObject(0)
        .put("config", new JsonObject().put("mongo", new JsonObject().put("timeoutMs", "5000")))),
      bad("verticles[1].config: chat.ratelimit", c -> c.getJsonArray("verticles").getJsonObject(1)
        .put("config", new JsonObject().put("chat", new JsonObject().put("ratelimit", new JsonObject())))),
      bad("verticles[0].config: storag", c -> c.getJsonArray("verticles").getJsonObject(0)
        .put("config", new JsonObject().put("storag", new JsonObject()))),
      bad("verticles[0].config.verticles", c -> c.getJsonArray("verticles").getJsonObject(0)
        .put("config", new JsonObject().put("verticles", new JsonArray()))),
      bad("verticles: a clustered node that runs 'gateway' must run 'chat' too", c -> {
        c.getJsonObject("cluster").put("enabled", true);
        c.put("verticles", new JsonArray().add(new JsonObject().put("name", "gateway")));
      }));
  }

  private static org.junit.jupiter.params.provider.Arguments bad(String key, Consumer<JsonObject> breakIt) {
    return arguments(key, breakIt);
  }

  @Test
  void aVerticlesOwnConfigIsCheckedMergedOverTheConf() {
    JsonObject conf = TestConf.defaults();
    conf.getJsonArray("verticles").getJsonObject(0)
      .put("config", new JsonObject().put("storage", new JsonObject().put("maxBatchEvents", 500)));
    assertEquals(500, Conf.resolve(conf).getJsonArray("verticles").getJsonObject(0).getJsonObject("config")
      .getJsonObject("storage").getInteger("maxBatchEvents"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badConfs")
  void aBadConfIsOneLineNamingTheKey(String key, Consumer<JsonObject> breakIt) {
    JsonObject conf = TestConf.defaults();
    breakIt.accept(conf);
    assertThatThrownBy(() -> Conf.resolve(conf)).isInstanceOf(ConfException.class)
      .message().startsWith(key).doesNotContain("\n");
  }
}
