package io.hubbub.store;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import io.hubbub.support.TestFiles;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.IndexOptions;
import io.vertx.ext.mongo.MongoClient;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded store's own map types ({@link KeyOrder} for index keys, {@link BsonDocuments} for documents):
 * documents come back as stored and unique indexes find and refuse keys across restarts, and what a file
 * got from the plain H2 backend keeps working as it was built.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddedStoreTest {

  private Vertx vertx;
  private Path dir;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("hubbub-store-test");
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
    TestFiles.deleteTree(dir);
  }

  private MongoClient client(String uri) {
    return MongoClient.create(vertx, new JsonObject().put("connection_string", uri).put("db_name", "t"));
  }

  private static Object key(int i, boolean lookup) {
    return switch (i % 4) {
      case 0 -> "key-" + i;
      case 1 -> (long) i;
      case 2 -> lookup ? "b-" + i : new JsonArray().add("a-" + i).add("b-" + i); // found by one of its elements
      default -> new JsonObject().put("x", i);
    };
  }

  /** Documents keyed by strings, numbers, arrays and sub-documents under a unique index. */
  private static void fill(MongoClient db) throws Exception {
    db.createIndexWithOptions("docs", new JsonObject().put("k", 1), new IndexOptions().unique(true)).await(10, TimeUnit.SECONDS);
    for (int i = 0; i < 2_000; i++) {
      db.insert("docs", new JsonObject().put("_id", "d" + i).put("k", key(i, false))
        .put("at", new JsonObject().put("$date", "2026-11-23T00:00:00Z")).put("n", 1.5 * i).put("nested", new JsonObject()
          .put("list", new JsonArray().add(i).add("é").add(true).addNull()))).await(10, TimeUnit.SECONDS);
    }
  }

  private static void check(MongoClient db) throws Exception {
    assertEquals(2_000L, db.count("docs", new JsonObject()).await(10, TimeUnit.SECONDS));
    for (int i = 0; i < 2_000; i += 37) {
      List<JsonObject> found = db.find("docs", new JsonObject().put("k", key(i, true))).await(10, TimeUnit.SECONDS);
      assertEquals(1, found.size(), "k = " + key(i, true));
      assertEquals("d" + i, found.get(0).getString("_id"));
      JsonObject doc = db.findOne("docs", new JsonObject().put("_id", "d" + i), null).await(10, TimeUnit.SECONDS);
      assertEquals("d" + i, doc.getString("_id"));
      assertEquals(1.5 * i, doc.getDouble("n"));
      assertEquals(new JsonArray().add(i).add("é").add(true).addNull(), doc.getJsonObject("nested").getJsonArray("list"));
      assertEquals("2026-11-23T00:00:00Z", doc.getJsonObject("at").getString("$date"));
    }
    for (Object taken : List.of("key-0", 1L, new JsonArray().add("zzz").add("a-2"), new JsonObject().put("x", 3))) {
      assertThrows(Exception.class, () -> db.insert("docs", new JsonObject().put("k", taken)).await(10, TimeUnit.SECONDS),
        "a second " + taken);
    }
    assertEquals(1L, db.count("docs", new JsonObject().put("k", new JsonObject().put("$in", new JsonArray().add("key-4").add("nope"))))
      .await(10, TimeUnit.SECONDS));
  }

  @Test
  void indexesFindAndRefuseKeysAcrossRestarts() throws Exception {
    EmbeddedStore store = EmbeddedStore.start(dir);
    try {
      MongoClient db = client(store.uri());
      fill(db);
      check(db);
      db.close().await(10, TimeUnit.SECONDS);
    } finally {
      store.close();
    }
    EmbeddedStore reopened = EmbeddedStore.start(dir);
    try {
      MongoClient again = client(reopened.uri());
      check(again);
      again.runCommand("dropDatabase", new JsonObject().put("dropDatabase", 1)).await(10, TimeUnit.SECONDS);
      again.close().await(10, TimeUnit.SECONDS);
    } finally {
      reopened.close();
    }
    assertEquals(List.of(), marked(), "a dropped database's maps are forgotten");
  }

  /** The maps the file lists as made with the backend's own types (read with the store closed). */
  private List<String> marked() {
    MVStore file = new MVStore.Builder().fileName(dir.resolve(EmbeddedStore.FILE_NAME).toString()).readOnly().open();
    try {
      return List.copyOf(file.<String, Integer>openMap(DurableH2Backend.MAP_TYPES).keySet());
    } finally {
      file.close();
    }
  }

  @Test
  void anIndexMadeByThePlainBackendKeepsItsOrder() throws Exception {
    MVStore plain = new MVStore.Builder().fileName(dir.resolve(EmbeddedStore.FILE_NAME).toString()).open();
    MongoServer server = new MongoServer(new H2Backend(plain));
    try {
      InetSocketAddress address = server.bind();
      MongoClient db = client("mongodb://127.0.0.1:" + address.getPort());
      fill(db);
      db.close().await(10, TimeUnit.SECONDS);
    } finally {
      server.shutdown();
    }
    EmbeddedStore reopened = EmbeddedStore.start(dir);
    try {
      MongoClient again = client(reopened.uri());
      check(again);
      // an index made now, in the same file, gets the new key type
      again.createIndexWithOptions("other", new JsonObject().put("k", 1), new IndexOptions().unique(true)).await(10, TimeUnit.SECONDS);
      again.insert("other", new JsonObject().put("k", "one")).await(10, TimeUnit.SECONDS);
      assertThrows(Exception.class, () -> again.insert("other", new JsonObject().put("k", "one")).await(10, TimeUnit.SECONDS));
      again.close().await(10, TimeUnit.SECONDS);
    } finally {
      reopened.close();
    }
    List<String> marked = marked();
    assertTrue(marked.stream().anyMatch(name -> name.endsWith(".other._index_k_1")), "new index marked: " + marked);
    assertTrue(marked.stream().anyMatch(name -> name.endsWith("t.other")), "new collection marked: " + marked);
    assertTrue(marked.stream().noneMatch(name -> name.contains(".docs")), "old collection and index left as they were: " + marked);
  }
}
