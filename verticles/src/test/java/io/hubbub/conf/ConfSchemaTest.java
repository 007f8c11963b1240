package io.hubbub.conf;

import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Readings;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.Streams;
import io.hubbub.support.TestConf;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The conf schema is the one place keys and defaults are written: the README, the records and the code agree with it. */
class ConfSchemaTest {

  @Test
  void everyKeyOfTheSchemaIsInTheReadme() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    List<String> keys = new ArrayList<>();
    leaves(ConfSchema.schema(), "", keys);
    assertThat(keys).as("the walk finds the keys").hasSizeGreaterThan(40);
    assertThat(keys).as("keys of the schema the README's configuration tables name")
      .allSatisfy(key -> assertThat(readme).contains("`" + key + "`"));
  }

  /** The keys a user writes: each scalar, and each list or map as a whole. */
  private static void leaves(JsonObject schema, String prefix, List<String> keys) {
    JsonObject properties = schema.getJsonObject("properties");
    for (String name : properties.fieldNames()) {
      JsonObject property = properties.getJsonObject(name);
      if (property.containsKey("properties")) {
        leaves(property, prefix + name + ".", keys);
      } else {
        keys.add(prefix + name);
      }
    }
  }

  @Test
  void everyShippedConfIsValid() throws Exception {
    try (var files = Files.list(Path.of("..", "conf"))) {
      List<Path> confs = files.filter(f -> f.toString().endsWith(".json")).toList();
      assertThat(confs).hasSizeGreaterThanOrEqualTo(4);
      for (Path file : confs) {
        HubbubConf conf = HubbubConf.of(Conf.resolve(new JsonObject(Files.readString(file))));
        assertThat(conf.verticles()).as(file.toString()).isNotEmpty();
      }
    }
  }

  @Test
  void theSchemaIsAValidDraft202012Schema() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      JsonSchemaOptions options = new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("https://hubbub.io/")
        .setOutputFormat(OutputFormat.Basic);
      SchemaRepository repository = SchemaRepository.create(options).preloadMetaSchema(vertx.fileSystem());
      OutputUnit result = repository.validator(JsonSchema.of(new JsonObject().put("$ref", Draft.DRAFT202012.getIdentifier())), options)
        .validate(ConfSchema.schema());
      assertTrue(result.getValid(), String.valueOf(result.getErrors()));
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void itsNamePatternsAreTheOnesTheCodeChecks() {
    JsonObject schema = ConfSchema.schema();
    JsonObject defs = schema.getJsonObject("$defs");
    assertEquals("^" + AuthBus.USERNAME.pattern() + "$", defs.getJsonObject("username").getString("pattern"));
    JsonObject namespaces = schema.getJsonObject("properties").getJsonObject("namespaces");
    assertEquals("^" + Streams.NAMESPACE.pattern() + "$", namespaces.getJsonObject("propertyNames").getString("pattern"));
    JsonObject rule = schema.getJsonObject("properties").getJsonObject("sensors").getJsonObject("properties")
      .getJsonObject("alerts").getJsonObject("items");
    assertEquals("^" + Readings.KIND.pattern() + "$", rule.getJsonObject("properties").getJsonObject("kind").getString("pattern"));
    assertEquals(ConfCheck.VERTICLES, schema.getJsonObject("properties").getJsonObject("verticles").getJsonObject("items")
      .getJsonObject("properties").getJsonObject("name").getJsonArray("enum").getList());
  }

  @Test
  void aConfOfOnlyVerticlesGetsEveryDefault() {
    JsonObject minimal = new JsonObject().put("verticles", new JsonArray().add(new JsonObject().put("name", "gateway")));
    HubbubConf conf = HubbubConf.of(Conf.resolve(minimal));
    assertEquals(8080, conf.http().port());
    assertEquals("0.0.0.0", conf.http().host());
    assertEquals(5_000, conf.mongo().timeoutMs());
    assertEquals(6_000, conf.mongo().busTimeoutMs());
    assertTrue(conf.mongo().embedded());
    assertEquals(List.of("admin"), conf.admins());
    assertEquals(StorageBus.DEFAULT_PARTITIONS, conf.storage().partitions());
    assertEquals(64, conf.storage().partitions());
    assertEquals(10, conf.auth().throttle().perUser());
    assertEquals(20, conf.chat().rateMessages());
    assertEquals(List.of(), conf.sensors().alerts());
    assertEquals(50, conf.audit().total());
    assertNull(conf.auth().adminPassword());
    assertTrue(!conf.http().tls().enabled() && !conf.cluster().tls().enabled());
    assertEquals(1, conf.verticles().size());
    assertEquals(1, conf.verticles().get(0).instances());
    assertTrue(conf.cluster().node().contains("@"), "named <pid>@<host>: " + conf.cluster().node());
  }

  @Test
  void eachVerticleIsHandedTheConfWithItsOwnConfigMergedOver() {
    JsonObject json = TestConf.defaults();
    json.getJsonArray("verticles").getJsonObject(0)
      .put("config", new JsonObject().put("storage", new JsonObject().put("maxBatchEvents", 500)));
    HubbubConf conf = HubbubConf.of(Conf.resolve(json));
    assertEquals("storage", conf.verticles().get(0).name());
    assertEquals(500, conf.verticles().get(0).conf().storage().maxBatchEvents());
    assertEquals(2_000, conf.verticles().get(1).conf().storage().maxBatchEvents(), "the others keep the conf's");
    assertEquals(2_000, conf.storage().maxBatchEvents());
    assertEquals(2, conf.verticles().get(5).instances(), "two gateways in the shipped conf");
    assertEquals(conf.cluster().node(), conf.verticles().get(3).conf().cluster().node(), "one node name for all");
    HubbubConf.AlertRule rule = conf.sensors().alerts().get(0);
    assertEquals(new HubbubConf.AlertRule("temperature", 30.0, null, 60, 1.0), rule);
    assertEquals(new HubbubConf.Access("members", "authenticated", HubbubConf.Retention.NONE), conf.namespaces().get("chat"),
      "chat keeps its history unless configured");
    assertEquals(new HubbubConf.Retention(30 * 86_400, 0), conf.namespaces().get("sensor").retention(), "raw readings: 30 days");
    assertEquals(new HubbubConf.Retention(365 * 86_400, 0), conf.namespaces().get("audit").retention(), "the audit trail: a year");
  }
}
