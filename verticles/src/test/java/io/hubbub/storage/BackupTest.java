package io.hubbub.storage;

import io.hubbub.client.HubbubHttp;
import io.hubbub.conf.HubbubConf;
import io.hubbub.embedded.EmbeddedStore;
import io.hubbub.embedded.StoreBackup;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestFiles;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * PROTOCOL v1.1 "Data on the move": a backup of the embedded store taken while it serves appends is consistent
 * (every event it holds whole, every stream gapless from 1, everything acknowledged before it began there), restores
 * into a data folder a node then serves from, and a folder that is not a whole backup is refused.
 */
@Timeout(value = 180, timeUnit = TimeUnit.SECONDS)
class BackupTest {

  private static final int STREAMS = 4;
  private Path dir;
  private EmbeddedStore store;
  private Vertx vertx;
  private final PrintStream err = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

  @AfterEach
  void stop() throws Exception {
    try {
      if (vertx != null) {
        vertx.close().await(30, TimeUnit.SECONDS);
      }
    } finally {
      if (store != null) {
        store.close();
      }
      TestFiles.deleteTree(dir);
    }
  }

  /** A conf whose store is the embedded one of {@code dataDir} (as a node runs it with no URI). */
  private static JsonObject conf(Path dataDir) {
    JsonObject conf = TestConf.node();
    conf.getJsonObject("mongo").put("uri", "").put("dataDir", dataDir.toString()).put("database", "hubbub");
    return conf;
  }

  private static Future<Void> publish(HubbubHttp http, String token, int stream, AtomicBoolean going, AtomicLongArray acked) {
    if (!going.get()) {
      return Future.succeededFuture();
    }
    JsonObject event = new JsonObject().put("type", "E").put("data", new JsonObject().put("text", "x".repeat(200)));
    return http.request(HttpMethod.POST, "/api/streams/app.load-" + stream + "/events", token, event).compose(response -> {
      if (response.status() != 201) {
        return Future.failedFuture("HTTP " + response.status());
      }
      acked.accumulateAndGet(stream, response.json().getLong("seq"), Math::max);
      return publish(http, token, stream, going, acked);
    });
  }

  @Test
  void aBackupTakenUnderLoadIsConsistentAndRestores() throws Exception {
    dir = Files.createTempDirectory("hubbub-backup");
    Path data = dir.resolve("data");
    store = EmbeddedStore.start(data); // the node's store, in this process as in a node's
    JsonObject nodeConf = conf(data);
    nodeConf.getJsonObject("mongo").put("uri", store.uri());
    vertx = Vertx.vertx();
    TestNode node = TestNode.start(vertx, nodeConf).await(60, TimeUnit.SECONDS);
    String token = node.user("loader").await(30, TimeUnit.SECONDS);
    AtomicBoolean going = new AtomicBoolean(true);
    AtomicLongArray acked = new AtomicLongArray(STREAMS);
    List<Future<Void>> loads = IntStream.range(0, STREAMS).mapToObj(s -> publish(node.http, token, s, going, acked)).toList();
    Thread.sleep(1_500);

    long[] before = new long[STREAMS];
    IntStream.range(0, STREAMS).forEach(s -> before[s] = acked.get(s));
    Path backup = dir.resolve("backup-1");
    StoreBackup.Manifest manifest = DataTool.backup(HubbubConf.of(conf(data)), backup, err);
    Thread.sleep(500);
    going.set(false);
    Future.all(loads).await(60, TimeUnit.SECONDS);
    assertThat(manifest.bytes()).isPositive();
    assertThat(java.util.Arrays.stream(before).min().orElse(0)).as("the load ran while the backup was taken").isPositive();
    assertThatThrownBy(() -> DataTool.backup(HubbubConf.of(conf(data)), backup, err)).hasMessageContaining("holds a backup already");

    Path restored = dir.resolve("restored");
    DataTool.restore(HubbubConf.of(conf(restored)), backup, err);
    Path exported = dir.resolve("restored.jsonl");
    try (OutputStream out = Files.newOutputStream(exported)) {
      DataTool.exportTo(HubbubConf.of(conf(restored)), out, err); // opens the restored store here
    }
    DataTool.check(exported); // every stream gapless, every event whole
    for (int s = 0; s < STREAMS; s++) {
      String header = "{\"stream\":\"app.load-" + s + "\",\"firstSeq\":1,\"lastSeq\":";
      String line = Files.readAllLines(exported).stream().filter(l -> l.startsWith(header)).findFirst().orElseThrow();
      long last = new JsonObject(line).getLong("lastSeq");
      assertThat(last).as("stream %d: what was acknowledged before the backup began is in it", s).isGreaterThanOrEqualTo(before[s]);
      assertThat(last).as("stream %d: and nothing that was not stored by the end", s).isLessThanOrEqualTo(acked.get(s));
    }
  }

  @Test
  void aFolderThatIsNotAWholeBackupIsRefused() throws Exception {
    dir = Files.createTempDirectory("hubbub-backup");
    Path data = dir.resolve("data");
    store = EmbeddedStore.start(data);
    Path backup = dir.resolve("backup");
    DataTool.backup(HubbubConf.of(conf(data)), backup, err);
    store.close();
    store = null;

    Path empty = Files.createDirectories(dir.resolve("empty"));
    assertThatThrownBy(() -> DataTool.restore(HubbubConf.of(conf(dir.resolve("r1"))), empty, err))
      .hasMessageContaining("is not a Hubbub backup");
    try (var file = java.nio.channels.FileChannel.open(backup.resolve(EmbeddedStore.FILE_NAME), StandardOpenOption.WRITE)) {
      file.write(java.nio.ByteBuffer.wrap(new byte[] {42}), 10_000);
    }
    assertThatThrownBy(() -> DataTool.restore(HubbubConf.of(conf(dir.resolve("r2"))), backup, err)).hasMessageContaining("damaged");
    assertThat(dir.resolve("r2").resolve(EmbeddedStore.FILE_NAME)).doesNotExist();
  }
}
