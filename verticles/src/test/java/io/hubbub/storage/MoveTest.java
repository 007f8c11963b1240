package io.hubbub.storage;

import io.hubbub.client.BridgeClient;
import io.hubbub.conf.HubbubConf;
import io.hubbub.embedded.EmbeddedStore;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestFiles;
import io.hubbub.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * PROTOCOL v1.1 "Data on the move": a deployment's store exported as JSON Lines and imported into another store (a
 * second embedded store here, as a deployment moves to MongoDB) holds every stream with its seqs, ids, authors and
 * times, where each history starts, and every document; a node started on it goes on where the first stopped. Import
 * is idempotent and refuses a broken file whole, naming the line.
 */
@Timeout(value = 180, timeUnit = TimeUnit.SECONDS)
class MoveTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.node();
  private TestNode node;
  private Path dir;
  private EmbeddedStore target;
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(log, true, StandardCharsets.UTF_8);

  @BeforeEach
  void targetStore() throws Exception {
    dir = Files.createTempDirectory("hubbub-move");
    target = EmbeddedStore.start(dir.resolve("target"));
  }

  @AfterEach
  void removeTarget() {
    if (target != null) {
      target.close();
    }
    TestFiles.deleteTree(dir);
  }

  private HubbubConf source() {
    return HubbubConf.of(node.conf);
  }

  private HubbubConf target(String database) {
    JsonObject conf = node.conf.copy();
    conf.getJsonObject("mongo").put("uri", target.uri()).put("database", database);
    return HubbubConf.of(conf);
  }

  private Path export(HubbubConf conf, String name) throws Exception {
    Path file = dir.resolve(name);
    try (OutputStream out = Files.newOutputStream(file)) {
      DataTool.exportTo(conf, out, err);
    }
    return file;
  }

  /** The file without its first line (when it was made). */
  private static List<String> body(Path file) throws Exception {
    List<String> lines = Files.readAllLines(file);
    return lines.subList(1, lines.size());
  }

  private void fill() throws Exception {
    TestNode.Tokens tokens = node.userAndAdmin("alice").await(30, TimeUnit.SECONDS);
    BridgeClient alice = node.bridge(tokens.user()).await(30, TimeUnit.SECONDS);
    alice.request("chat.join", new JsonObject().put("room", "den")).await(30, TimeUnit.SECONDS);
    for (int i = 1; i <= 3; i++) {
      alice.request("chat.send", new JsonObject().put("room", "den").put("text", "hello " + i + " \u00e9\u2603")).await(30, TimeUnit.SECONDS);
    }
    for (int batch = 0; batch < 3; batch++) {
      JsonArray events = new JsonArray(IntStream.range(0, 100).mapToObj(i -> (Object) new JsonObject().put("type", "NOTE")
        .put("data", new JsonObject().put("n", i).put("nested", new JsonObject().put("list", new JsonArray().add(1.5).add("x"))))).toList());
      assertThat(node.call(HttpMethod.POST, "/api/streams/app.notes/events", tokens.user(), events).status()).isEqualTo(201);
    }
    assertThat(node.call(HttpMethod.POST, "/api/streams/app.notes/truncate", tokens.admin(), new JsonObject().put("before", 101)).status())
      .isEqualTo(200);
    assertThat(node.call(HttpMethod.POST, "/api/streams/app.gone/events", tokens.user(), new JsonObject().put("type", "E")
      .put("data", new JsonObject()).put("id", "only-one")).status()).isEqualTo(201);
    assertThat(node.call(HttpMethod.POST, "/api/streams/app.gone/truncate", tokens.admin(), new JsonObject().put("before", 2)).status())
      .isEqualTo(200);
    String key = node.call(HttpMethod.POST, "/api/devices", tokens.admin(), new JsonObject().put("deviceId", "probe-1")).json().getString("key");
    assertThat(node.call(HttpMethod.POST, "/api/sensors/probe-1/readings", key, new JsonObject().put("kind", "temperature").put("value", 21.5)
      .put("at", Instant.now().toString())).status()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
      assertThat(node.db().count("aggregates", new JsonObject()).await(10, TimeUnit.SECONDS)).isEqualTo(2));
  }

  @Test
  void anExportImportedIntoAnotherStoreHoldsEverythingAndANodeGoesOnThere() throws Exception {
    fill();
    Path exported = export(source(), "source.jsonl");
    DataTool.Summary imported = DataTool.importFrom(target("moved"), exported, err);
    assertThat(imported.conflicts()).isEmpty();
    assertThat(imported.events()).as("app.notes 101..300, chat.den 3, sensor.probe-1 1, the auth and audit trails")
      .isGreaterThan(200 + 3 + 1);
    assertThat(body(export(target("moved"), "target.jsonl"))).as("every stream, event and document, the same")
      .isEqualTo(body(exported));
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("hubbub: exported ", "hubbub: imported ");

    DataTool.Summary again = DataTool.importFrom(target("moved"), exported, err);
    assertThat(again.events()).as("the same file again: nothing new").isZero();
    assertThat(again.conflicts()).isEmpty();
    assertThat(body(export(target("moved"), "again.jsonl"))).isEqualTo(body(exported));

    // a node on the new store: same users, same history, seqs going on
    JsonObject conf = node.conf.copy();
    conf.getJsonObject("mongo").put("uri", target.uri()).put("database", "moved");
    Vertx other = Vertx.vertx();
    try {
      TestNode moved = TestNode.start(other, conf).await(60, TimeUnit.SECONDS);
      String alice = moved.post("/api/sessions", null, new JsonObject().put("username", "alice").put("password", "password-alice"))
        .await(30, TimeUnit.SECONDS).json().getString("token");
      assertThat(moved.call(HttpMethod.GET, "/api/streams/app.notes", alice, null).json())
        .isEqualTo(new JsonObject().put("stream", "app.notes").put("firstSeq", 101).put("lastSeq", 300));
      assertThat(moved.call(HttpMethod.GET, "/api/streams/app.gone", alice, null).json())
        .isEqualTo(new JsonObject().put("stream", "app.gone").put("firstSeq", 2).put("lastSeq", 1));
      assertThat(moved.call(HttpMethod.POST, "/api/streams/app.gone/events", alice, new JsonObject().put("type", "E")
        .put("data", new JsonObject())).json().getLong("seq")).as("never a seq twice, on the new store too").isEqualTo(2);
      assertThat(BucketsTest.idsIndex(moved.db()).getValue("sparse"))
        .as("the store the import made has its ids index sparse").isEqualTo(true);
      assertThat(moved.call(HttpMethod.POST, "/api/streams/app.gone/events", alice, new JsonObject().put("type", "E")
        .put("data", new JsonObject())).json().getLong("seq")).as("a second bucket without ids").isEqualTo(3);
      JsonObject page = moved.call(HttpMethod.GET, "/api/streams/chat.den/events", alice, null).json();
      assertThat(page.getJsonArray("events").getJsonObject(2).getJsonObject("data").getString("text")).isEqualTo("hello 3 \u00e9\u2603");
      moved.stop().await(30, TimeUnit.SECONDS);
    } finally {
      other.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aBrokenFileIsRefusedWholeNamingItsLine() throws Exception {
    fill();
    Path exported = export(source(), "source.jsonl");
    List<String> lines = new ArrayList<>(Files.readAllLines(exported));
    List<String[]> breakages = List.of(
      new String[] {"{\"stream\":\"app.notes\",\"seq\":", "not a JSON object"},
      new String[] {"{\"stream\":\"app.notes\",\"seq\":9999,\"id\":\"x\",\"type\":\"E\",\"data\":{},\"by\":\"a\",\"ts\":\"t\"}", "where"},
      new String[] {"{\"collection\":\"users\",\"doc\":{\"_id\":7}}", "a document line is"},
      new String[] {"[1,2]", "not a JSON object"});
    int at = 5; // an event of the first stream
    for (String[] breakage : breakages) {
      List<String> broken = new ArrayList<>(lines);
      broken.set(at - 1, breakage[0]);
      Path file = dir.resolve("broken.jsonl");
      Files.write(file, broken);
      assertThatThrownBy(() -> DataTool.importFrom(target("broken"), file, err)).isInstanceOf(DataTool.BadLine.class)
        .hasMessageContaining("line " + at).hasMessageContaining(breakage[1]);
    }
    Path cut = dir.resolve("cut.jsonl");
    Files.write(cut, lines.subList(0, lines.size() - 1));
    assertThatThrownBy(() -> DataTool.importFrom(target("broken"), cut, err)).hasMessageContaining("no end line");
    assertThat(body(export(target("broken"), "empty.jsonl"))).as("nothing written")
      .containsExactly("{\"end\":true,\"streams\":0,\"events\":0,\"documents\":0}");
  }
}
