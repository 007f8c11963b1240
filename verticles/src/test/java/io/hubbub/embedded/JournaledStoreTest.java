package io.hubbub.embedded;

import io.hubbub.StartupException;
import io.hubbub.support.TestFiles;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import io.vertx.ext.mongo.MongoClientUpdateResult;
import io.vertx.ext.mongo.UpdateOptions;
import io.vertx.ext.mongo.WriteOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The journaled embedded store, through the real driver, as a crash leaves it: the data folder is copied while the
 * store runs (its journal first, then its file, which is what a SIGKILL at the start of the copy leaves: a
 * checkpoint during the copy only moves writes from the journal into the file), and the copy opened as a store.
 * Every acknowledged write is there once: a counter incremented N times reads N, whatever the checkpoints did.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JournaledStoreTest {

  private static final WriteOption JOURNALED = WriteOption.JOURNALED;
  /**
   * Enough that checkpoints serialize pages among a round's updates: a store whose updates changed the stored object
   * (the one a page being serialized held) failed every run here at 600, one run in six at 100.
   */
  private static final int WRITES_PER_ROUND = 600;

  private Vertx vertx;
  private Path dir;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("hubbub-journal-test");
  }

  @AfterEach
  void stop() throws Exception {
    System.clearProperty(DurableH2Backend.CHECKPOINT_PAUSE_PROPERTY);
    vertx.close().await(30, TimeUnit.SECONDS);
    TestFiles.deleteTree(dir);
  }

  /** What the test wrote and was acknowledged, as of one crash image. */
  private record Expected(Path image, long counter, List<String> docs, Map<String, Object> upsertedIds) {
  }

  @Test
  void everyAcknowledgedWriteIsThereOnceAfterACrashAtAnyMoment() throws Exception {
    Path data = dir.resolve("data");
    List<Expected> images = new ArrayList<>();
    Random random = new Random(7);
    try (EmbeddedStore store = EmbeddedStore.start(data)) {
      MongoClient db = client(store.uri());
      long counter = 0;
      List<String> docs = new ArrayList<>();
      Map<String, Object> upserted = new HashMap<>();
      for (int round = 0; round < 8; round++) {
        for (int i = 0; i < WRITES_PER_ROUND; i++) {
          String id = "d" + round + "-" + i;
          db.insertWithOptions("docs", new JsonObject().put("_id", id).put("round", round), JOURNALED).await(10, TimeUnit.SECONDS);
          docs.add(id);
          db.updateCollectionWithOptions("counters", new JsonObject().put("_id", "c"),
            new JsonObject().put("$inc", new JsonObject().put("n", 1)), new UpdateOptions().setUpsert(true).setWriteOption(JOURNALED))
            .await(10, TimeUnit.SECONDS);
          counter++;
        }
        db.removeDocumentsWithOptions("docs", new JsonObject().put("_id", docs.remove(0)), JOURNALED).await(10, TimeUnit.SECONDS);
        // an upsert whose query names no _id: the store makes one, and a replay must make the same
        MongoClientUpdateResult made = db.updateCollectionWithOptions("named", new JsonObject().put("name", "u" + round),
          new JsonObject().put("$set", new JsonObject().put("round", round)), new UpdateOptions().setUpsert(true).setWriteOption(JOURNALED))
          .await(10, TimeUnit.SECONDS);
        upserted.put("u" + round, made.getDocUpsertedId().getValue("_id"));
        // an insert without _id: the store names it before journaling it
        db.insertWithOptions("unnamed", new JsonObject().put("round", round), JOURNALED).await(10, TimeUnit.SECONDS);
        Thread.sleep(random.nextInt(1_500)); // crash images before, during and after checkpoints
        Path image = dir.resolve("crash-" + round);
        crashImage(data, image);
        images.add(new Expected(image, counter, List.copyOf(docs), Map.copyOf(upserted)));
      }
      JsonObject live = db.findOne("counters", new JsonObject().put("_id", "c"), null).await(10, TimeUnit.SECONDS);
      assertThat(live.getLong("n")).as("the running store's counter").isEqualTo(counter);
      db.close().await(10, TimeUnit.SECONDS);
    }
    for (Expected expected : images) {
      check(expected);
    }
  }

  @Test
  void aCrashBetweenACheckpointsCommitAndItsSyncAppliesNothingTwice() throws Exception {
    System.setProperty(DurableH2Backend.CHECKPOINT_PAUSE_PROPERTY, "4000");
    Path data = dir.resolve("data");
    Path image = dir.resolve("crash");
    long counter = 0;
    try (EmbeddedStore store = EmbeddedStore.start(data)) {
      MongoClient db = client(store.uri());
      for (int i = 0; i < 100; i++) {
        db.updateCollectionWithOptions("counters", new JsonObject().put("_id", "c"),
          new JsonObject().put("$inc", new JsonObject().put("n", 1)), new UpdateOptions().setUpsert(true).setWriteOption(JOURNALED))
          .await(10, TimeUnit.SECONDS);
        counter++;
      }
      Thread.sleep(DurableH2Backend.CHECKPOINT_MS + 1_000); // the first checkpoint has committed and waits before its sync
      assertThat(Journal.segments(data.resolve(Journal.DIR)).size()).as("the segments it holds are still there").isGreaterThan(1);
      crashImage(data, image);
      db.close().await(10, TimeUnit.SECONDS);
    }
    System.clearProperty(DurableH2Backend.CHECKPOINT_PAUSE_PROPERTY);
    check(new Expected(image, counter, List.of(), Map.of()));
  }

  @Test
  void aDamagedJournalStopsTheStartSayingWhatToDo() throws Exception {
    System.setProperty(DurableH2Backend.CHECKPOINT_PAUSE_PROPERTY, "5000"); // no segment is deleted before the copy
    Path data = dir.resolve("data");
    Path image = dir.resolve("crash");
    try (EmbeddedStore store = EmbeddedStore.start(data)) {
      MongoClient db = client(store.uri());
      for (int i = 0; i < 5; i++) {
        db.insertWithOptions("docs", new JsonObject().put("_id", "d" + i), JOURNALED).await(10, TimeUnit.SECONDS);
      }
      crashImage(data, image);
      db.close().await(10, TimeUnit.SECONDS);
    }
    System.clearProperty(DurableH2Backend.CHECKPOINT_PAUSE_PROPERTY);
    Path segment = Journal.segments(image.resolve(Journal.DIR)).stream()
      .max(java.util.Comparator.comparingLong(file -> file.toFile().length())).orElseThrow();
    byte[] bytes = Files.readAllBytes(segment);
    assertThat(bytes.length).as("a segment holds records").isGreaterThan(200);
    bytes[40] ^= 0x40; // inside the first record, with more after it
    Files.write(segment, bytes);
    byte[] file = Files.readAllBytes(image.resolve(EmbeddedStore.FILE_NAME));
    StartupException refused = assertThrows(StartupException.class, () -> EmbeddedStore.start(image));
    assertThat(refused.getMessage()).contains("cannot be opened").contains("damaged").contains("move the journal folder aside");
    assertThat(Files.readAllBytes(image.resolve(EmbeddedStore.FILE_NAME))).as("the file is left as it was").isEqualTo(file);
  }

  /** Opens a crash image as a store and finds exactly what was acknowledged before it was taken. */
  private void check(Expected expected) throws Exception {
    try (EmbeddedStore store = EmbeddedStore.start(expected.image())) {
      MongoClient db = client(store.uri());
      JsonObject counter = db.findOne("counters", new JsonObject().put("_id", "c"), null).await(10, TimeUnit.SECONDS);
      assertThat(counter.getLong("n")).as("counter in " + expected.image().getFileName()).isEqualTo(expected.counter());
      List<String> docs = db.find("docs", new JsonObject()).await(10, TimeUnit.SECONDS).stream()
        .map(doc -> doc.getString("_id")).sorted().toList();
      assertThat(docs).as("docs in " + expected.image().getFileName()).isEqualTo(expected.docs().stream().sorted().toList());
      for (Map.Entry<String, Object> upsert : expected.upsertedIds().entrySet()) {
        JsonObject named = db.findOne("named", new JsonObject().put("name", upsert.getKey()), null).await(10, TimeUnit.SECONDS);
        assertThat(named.getValue("_id")).as("the _id the upsert made").isEqualTo(upsert.getValue());
      }
      assertThat(db.count("unnamed", new JsonObject()).await(10, TimeUnit.SECONDS)).isEqualTo(expected.upsertedIds().size());
      db.close().await(10, TimeUnit.SECONDS);
    }
    assertThat(Journal.segments(expected.image().resolve(Journal.DIR))).as("a clean close leaves no journal").isEmpty();
  }

  /** The data folder as a SIGKILL now would leave it: the journal, then the file and the credentials. */
  private static void crashImage(Path data, Path image) throws IOException {
    Files.createDirectories(image.resolve(Journal.DIR));
    for (Path segment : Journal.segments(data.resolve(Journal.DIR))) {
      try {
        Files.copy(segment, image.resolve(Journal.DIR).resolve(segment.getFileName()));
      } catch (java.nio.file.NoSuchFileException deleted) {
        // a checkpoint that holds its records deleted it meanwhile: the file copied next holds them
      }
    }
    try (Stream<Path> files = Files.list(data)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Files.copy(file, image.resolve(file.getFileName()));
      }
    }
  }

  private MongoClient client(String uri) {
    return MongoClient.create(vertx, new JsonObject().put("connection_string", uri).put("db_name", "t")
      .put("serverSelectionTimeoutMS", 3_000));
  }
}
