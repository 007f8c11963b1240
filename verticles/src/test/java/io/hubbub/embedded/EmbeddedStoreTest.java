package io.hubbub.embedded;

import java.util.Locale;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import io.hubbub.support.TestFiles;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.FindOptions;
import io.vertx.ext.mongo.IndexOptions;
import io.vertx.ext.mongo.MongoClient;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded store's own map types ({@link KeyOrder} for index keys, {@link BsonDocuments} for documents):
 * documents come back as stored and unique indexes find and refuse keys across restarts, and what a file
 * got from the plain H2 backend keeps working as it was built. And its sign-in: it answers only clients
 * that log in with its credentials (SCRAM-SHA-256, as MongoDB), by the driver or the legacy wire protocol;
 * the credentials are made once, readable by the owner only, and kept.
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
    return MongoClient.create(vertx, new JsonObject().put("connection_string", uri).put("db_name", "t")
      .put("serverSelectionTimeoutMS", 3_000));
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

  /** What an insert answers: null when taken, else that it was refused. */
  private static String insert(MongoClient db, JsonObject document) {
    try {
      db.insert("b", document).await(10, TimeUnit.SECONDS);
      return null;
    } catch (Exception e) {
      return "refused";
    }
  }

  /**
   * A sparse unique index (the {@code sids} of buckets) leaves out a document without its field, and holds one with
   * the field null or a key of each element; it stays sparse across restarts, and is found by {@code $in}.
   */
  @Test
  void aSparseUniqueIndexLeavesOutDocumentsWithoutItsFieldAcrossRestarts() throws Exception {
    EmbeddedStore store = EmbeddedStore.start(dir);
    try {
      MongoClient db = client(store.uri());
      db.createIndexWithOptions("b", new JsonObject().put("sids", 1), new IndexOptions().unique(true).sparse(true)
        .name("ids")).await(10, TimeUnit.SECONDS);
      assertEquals(null, insert(db, new JsonObject().put("_id", 1)));
      assertEquals(null, insert(db, new JsonObject().put("_id", 2)), "a second document without the field");
      assertEquals(null, insert(db, new JsonObject().put("_id", 3).put("sids", new JsonArray().add("a").add("b"))));
      assertEquals("refused", insert(db, new JsonObject().put("_id", 4).put("sids", new JsonArray().add("b"))));
      assertEquals(null, insert(db, new JsonObject().put("_id", 5).putNull("sids")));
      assertEquals("refused", insert(db, new JsonObject().put("_id", 6).putNull("sids")), "null is a key");
      db.close().await(10, TimeUnit.SECONDS);
    } finally {
      store.close();
    }
    EmbeddedStore reopened = EmbeddedStore.start(dir);
    try {
      MongoClient db = client(reopened.uri());
      JsonObject index = db.listIndexes("b").await(10, TimeUnit.SECONDS).stream().map(i -> (JsonObject) i)
        .filter(i -> "ids".equals(i.getString("name"))).findFirst().orElseThrow();
      assertEquals(true, index.getValue("sparse"));
      assertEquals(true, index.getValue("unique"));
      assertEquals(null, insert(db, new JsonObject().put("_id", 7)));
      assertEquals("refused", insert(db, new JsonObject().put("_id", 8).put("sids", new JsonArray().add("c").add("a"))));
      assertEquals(null, insert(db, new JsonObject().put("_id", 9).put("sids", new JsonArray().add("c"))));
      assertEquals(List.of(3, 9), db.find("b", new JsonObject().put("sids", new JsonObject().put("$in",
        new JsonArray().add("b").add("c").add("zz")))).await(10, TimeUnit.SECONDS).stream()
        .map(d -> d.getInteger("_id")).sorted().toList());
      assertEquals(6L, db.count("b", new JsonObject()).await(10, TimeUnit.SECONDS));
      db.close().await(10, TimeUnit.SECONDS);
    } finally {
      reopened.close();
    }
  }

  /**
   * A collection made before documents' ids had their own key type (marked {@code BSON_DOCUMENTS}, keyed by H2's
   * {@code ObjectDataType}) keeps that type across restarts and works as before; one made now gets the new type.
   */
  @Test
  void aCollectionKeyedTheEarlierWayKeepsItsKeys() throws Exception {
    MVStore file = new MVStore.Builder().fileName(dir.resolve(EmbeddedStore.FILE_NAME).toString()).open();
    file.<String, Integer>openMap(DurableH2Backend.MAP_TYPES).put("databases.t.docs", DurableH2Backend.BSON_DOCUMENTS);
    file.close();
    for (int start = 0; start < 2; start++) {
      EmbeddedStore store = EmbeddedStore.start(dir);
      try {
        MongoClient db = client(store.uri());
        if (start == 0) {
          fill(db);
          db.insert("fresh", new JsonObject().put("_id", "one")).await(10, TimeUnit.SECONDS);
        }
        check(db);
        assertEquals("one", db.findOne("fresh", new JsonObject().put("_id", "one"), null).await(10, TimeUnit.SECONDS)
          .getString("_id"));
        db.close().await(10, TimeUnit.SECONDS);
      } finally {
        store.close();
      }
    }
    Map<String, Integer> types = marks();
    assertEquals(DurableH2Backend.BSON_DOCUMENTS, types.get("databases.t.docs"));
    assertEquals(DurableH2Backend.BSON_DOCUMENTS_BY_IDS, types.get("databases.t.fresh"));
  }

  /** The maps the file lists as made with the backend's own types (read with the store closed). */
  private List<String> marked() {
    return List.copyOf(marks().keySet());
  }

  /** The maps the file lists as made with the backend's own types, with each one's type (read with the store closed). */
  private Map<String, Integer> marks() {
    MVStore file = new MVStore.Builder().fileName(dir.resolve(EmbeddedStore.FILE_NAME).toString()).readOnly().open();
    try {
      return Map.copyOf(file.<String, Integer>openMap(DurableH2Backend.MAP_TYPES));
    } finally {
      file.close();
    }
  }

  /**
   * {@code $in} of strings is matched with a hash set (mongo-java-server compares each document with the whole list):
   * the same documents, in the store and in the plain backend, answer random {@code $in} queries alike — on {@code _id},
   * on an indexed array field, on a field of strings, numbers, arrays and sub-documents, and with lists holding other
   * values (matched the plain way), an operator beside it, or a dotted path.
   */
  @Test
  void inQueriesOfStringsFindWhatThePlainBackendFinds() throws Exception {
    MongoServer plain = new MongoServer(new H2Backend(new MVStore.Builder().open())); // in memory
    EmbeddedStore store = EmbeddedStore.start(dir);
    try {
      MongoClient oracle = client("mongodb://127.0.0.1:" + plain.bind().getPort());
      MongoClient db = client(store.uri());
      java.util.Random random = new java.util.Random(7);
      for (MongoClient each : List.of(oracle, db)) {
        each.createIndexWithOptions("docs", new JsonObject().put("tags", 1), new IndexOptions().unique(true)).await(10, TimeUnit.SECONDS);
      }
      for (int i = 0; i < 300; i++) {
        Object v = switch (i % 6) {
          case 0 -> "s" + (i % 40);
          case 1 -> (long) (i % 40);
          case 2 -> new JsonArray().add("s" + (i % 40)).add(i % 40);
          case 3 -> new JsonObject().put("x", "s" + (i % 40));
          case 4 -> null;
          default -> "é" + (i % 40);
        };
        JsonObject doc = new JsonObject().put("_id", "d" + i).put("tags", new JsonArray().add("t" + i).add("u" + i))
          .put("nested", new JsonObject().put("v", "s" + (i % 40)));
        if (i % 7 != 0) {
          doc.put("v", v); // else: no field at all
        }
        oracle.insert("docs", doc).await(10, TimeUnit.SECONDS);
        db.insert("docs", doc).await(10, TimeUnit.SECONDS);
      }
      for (int q = 0; q < 200; q++) {
        String field = List.of("_id", "tags", "v", "nested.v").get(q % 4);
        JsonArray in = new JsonArray();
        for (int k = random.nextInt(30); k > 0; k--) {
          int n = random.nextInt(320);
          in.add(switch (field) {
            case "_id" -> "d" + n;
            case "tags" -> (random.nextBoolean() ? "t" : "u") + n;
            default -> random.nextInt(5) == 0 ? "é" + (n % 40) : "s" + (n % 40);
          });
        }
        if (q % 10 == 3) {
          in.add((long) random.nextInt(40)); // not all strings
        }
        if (q % 10 == 5) {
          in.addNull();
        }
        JsonObject query = new JsonObject().put(field, new JsonObject().put("$in", in));
        if (q % 10 == 7) {
          query.put("_id", new JsonObject().put("$ne", "d" + random.nextInt(300))); // another condition beside it
        }
        assertEquals(ids(oracle, query), ids(db, query), "" + query);
      }
      // and a replace by such a query changes what it found only
      JsonObject byIds = new JsonObject().put("_id", new JsonObject().put("$in", new JsonArray().add("d1").add("d2").add("nope")));
      for (MongoClient each : List.of(oracle, db)) {
        each.updateCollectionWithOptions("docs", byIds, new JsonObject().put("$set", new JsonObject().put("changed", true)),
          new io.vertx.ext.mongo.UpdateOptions().setMulti(true)).await(10, TimeUnit.SECONDS);
      }
      JsonObject changed = new JsonObject().put("changed", true);
      assertEquals(List.of("d1", "d2"), ids(db, changed));
      assertEquals(ids(oracle, changed), ids(db, changed));
    } finally {
      store.close();
      plain.shutdownNow();
    }
  }

  /**
   * A find of {@code {_id: {$in: [strings]}}}, how storage reads buckets, is answered with the documents as they are
   * stored ({@link StoredReplies}), whole or with the top-level fields a projection includes ({@link StoredFields}):
   * the plain backend's documents, of every type, in its order and with its fields in its order, with missing and
   * repeated keys, in one batch or across getMores; the same filter with any other projection or a sort, and a
   * delete by it, are the library's and agree too.
   */
  @Test
  void findsByIdsAnswerWhatThePlainBackendAnswers() throws Exception {
    MongoServer plain = new MongoServer(new H2Backend(new MVStore.Builder().open())); // in memory
    EmbeddedStore store = EmbeddedStore.start(dir);
    try {
      MongoClient oracle = client("mongodb://127.0.0.1:" + plain.bind().getPort());
      MongoClient db = client(store.uri());
      for (int i = 0; i < 120; i++) {
        JsonObject doc = new JsonObject().put("_id", i % 10 == 9 ? "é-" + i : "d" + i).put("first", (long) i).put("n", i).put("big", 1L << 40 | i)
          .put("ratio", i / 7.0).put("even", i % 2 == 0).putNull("none").put("text", "héllo ".repeat(i % 5))
          .put("at", new JsonObject().put("$date", "2026-12-03T10:00:0" + (i % 10) + "Z"))
          .put("events", new JsonArray().add(new JsonObject().put("seq", (long) i).put("data", new JsonObject().put("v", i)))
            .add(new JsonArray().add(1).add("two")));
        oracle.insert("docs", doc).await(10, TimeUnit.SECONDS);
        db.insert("docs", doc).await(10, TimeUnit.SECONDS);
      }
      List<JsonObject> projections = List.of(new JsonObject(), new JsonObject().put("_id", 0).put("first", 1).put("events", 1),
        new JsonObject().put("n", 1).put("text", true), new JsonObject().put("events", 1).put("_id", 1).put("missing", 1),
        new JsonObject().put("_id", false), // the library's: an exclusion
        new JsonObject().put("events", 0), new JsonObject().put("events.seq", 1));
      java.util.Random random = new java.util.Random(11);
      for (int q = 0; q < 60; q++) {
        JsonArray in = new JsonArray();
        for (int k = 1 + random.nextInt(40); k > 0; k--) {
          int n = random.nextInt(140); // some missing
          in.add(n % 10 == 9 ? "é-" + n : "d" + n);
        }
        in.add(in.getString(0)); // and one repeated
        JsonObject query = new JsonObject().put("_id", new JsonObject().put("$in", in));
        for (JsonObject fields : projections) {
          FindOptions options = new FindOptions().setBatchSize(q % 3 == 0 ? 3 : 101).setFields(fields);
          assertEquals(inOrder(oracle, query, options), inOrder(db, query, options), query + " " + fields);
        }
        FindOptions sorted = new FindOptions().setSort(new JsonObject().put("n", -1));
        assertEquals(inOrder(oracle, query, sorted), inOrder(db, query, sorted), "" + query);
      }
      JsonObject byIds = new JsonObject().put("_id", new JsonObject().put("$in", new JsonArray().add("d1").add("é-19").add("nope")));
      for (MongoClient each : List.of(oracle, db)) {
        assertEquals(2L, each.removeDocuments("docs", byIds).await(10, TimeUnit.SECONDS).getRemovedCount());
      }
      assertEquals(all(oracle), all(db));
      assertEquals(118, all(db).size());
    } finally {
      store.close();
      plain.shutdownNow();
    }
  }

  /**
   * Inserts, replaces, upserts and deletes under unique indexes (a field of plain values, an array field, a
   * compound one), many of them colliding, are taken or refused by the store exactly as by the plain backend,
   * which leaves the same documents; and the size the store keeps of its documents (collStats) is the plain
   * backend's, though the store learns it from the BSON it writes.
   */
  @Test
  void writesUnderUniqueIndexesGoAsInThePlainBackend() throws Exception {
    MongoServer plain = new MongoServer(new H2Backend(new MVStore.Builder().open())); // in memory
    EmbeddedStore store = EmbeddedStore.start(dir);
    try {
      MongoClient oracle = client("mongodb://127.0.0.1:" + plain.bind().getPort());
      MongoClient db = client(store.uri());
      for (MongoClient each : List.of(oracle, db)) {
        each.createIndexWithOptions("docs", new JsonObject().put("k", 1), new IndexOptions().unique(true)).await(10, TimeUnit.SECONDS);
        each.createIndexWithOptions("docs", new JsonObject().put("tags", 1), new IndexOptions().unique(true)).await(10, TimeUnit.SECONDS);
        each.createIndexWithOptions("docs", new JsonObject().put("p", 1).put("q", 1), new IndexOptions().unique(true))
          .await(10, TimeUnit.SECONDS);
      }
      java.util.Random random = new java.util.Random(5);
      int refused = 0;
      for (int i = 0; i < 600; i++) {
        JsonObject doc = new JsonObject().put("_id", "d" + random.nextInt(200));
        switch (random.nextInt(4)) {
          case 0 -> doc.put("k", "k" + random.nextInt(150));
          case 1 -> doc.put("k", random.nextInt(150)); // ints and longs and doubles of one value collide
          case 2 -> doc.put("k", random.nextBoolean() ? (long) random.nextInt(150) : random.nextInt(150) + 0.0);
          default -> { } // no k: null, once
        }
        if (random.nextBoolean()) {
          doc.put("tags", new JsonArray().add("t" + random.nextInt(400)).add("t" + random.nextInt(400)));
        }
        doc.put("p", random.nextInt(20)).put("q", "q" + random.nextInt(20)).put("pad", "x".repeat(random.nextInt(50)));
        int op = random.nextInt(10);
        List<String> outcomes = new java.util.ArrayList<>();
        for (MongoClient each : List.of(oracle, db)) {
          io.vertx.core.Future<?> write = switch (op) {
            case 0, 1 -> each.removeDocument("docs", new JsonObject().put("_id", doc.getString("_id")));
            case 2, 3 -> each.replaceDocumentsWithOptions("docs", new JsonObject().put("_id", doc.getString("_id")), doc,
              new io.vertx.ext.mongo.UpdateOptions().setUpsert(true));
            default -> each.insert("docs", doc);
          };
          try {
            write.await(10, TimeUnit.SECONDS);
            outcomes.add("taken");
          } catch (Exception e) {
            outcomes.add(e.getMessage().contains("E11000") ? "duplicate" : e.getMessage());
          }
        }
        assertEquals(outcomes.get(0), outcomes.get(1), "op " + op + " of " + doc);
        if (!outcomes.get(0).equals("taken")) {
          refused++;
        }
      }
      assertTrue(refused > 100, "many writes collided: " + refused);
      assertEquals(all(oracle), all(db));
      assertEquals(size(oracle), size(db), "collStats size");
      assertTrue(size(db) > 0);
    } finally {
      store.close();
      plain.shutdownNow();
    }
  }

  /** What a find answers, as JSON text: its documents in their order, each with its fields in theirs. */
  private static List<String> inOrder(MongoClient db, JsonObject query, FindOptions options) throws Exception {
    return db.findWithOptions("docs", query, options).await(10, TimeUnit.SECONDS).stream().map(JsonObject::encode).toList();
  }

  private static List<JsonObject> all(MongoClient db) throws Exception {
    return db.find("docs", new JsonObject()).await(10, TimeUnit.SECONDS).stream()
      .sorted(java.util.Comparator.comparing(d -> d.getString("_id"))).toList();
  }

  private static long size(MongoClient db) throws Exception {
    return db.runCommand("collStats", new JsonObject().put("collStats", "docs")).await(10, TimeUnit.SECONDS).getLong("size");
  }

  private static List<String> ids(MongoClient db, JsonObject query) throws Exception {
    return db.find("docs", query).await(10, TimeUnit.SECONDS).stream().map(d -> d.getString("_id")).sorted().toList();
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

  @Test
  void onlyClientsWithTheCredentialsAreServed() throws Exception {
    try (EmbeddedStore store = EmbeddedStore.start(dir)) {
      String uri = store.uri();
      assertTrue(uri.contains("authMechanism=SCRAM-SHA-256"), "the store's own URI signs in");
      MongoClient owner = client(uri);
      owner.insert("users", new JsonObject().put("_id", "alice").put("hash", "$pbkdf2$secret")).await(10, TimeUnit.SECONDS);
      assertEquals(1L, owner.count("users", new JsonObject()).await(10, TimeUnit.SECONDS));

      String address = uri.substring(uri.indexOf('@') + 1, uri.indexOf('/', uri.indexOf('@')));
      MongoClient stranger = client("mongodb://" + address);
      Throwable read = assertThrows(Exception.class, () -> stranger.find("users", new JsonObject()).await(10, TimeUnit.SECONDS));
      assertTrue(read.getMessage().contains("Unauthorized") || read.getMessage().contains("13"), read.getMessage());
      assertThrows(Exception.class, () -> stranger.insert("sessions", new JsonObject().put("_id", "forged").put("username", "admin"))
        .await(10, TimeUnit.SECONDS));

      MongoClient guesser = client("mongodb://hubbub:not-the-password@" + address + "/?authSource=admin&authMechanism=SCRAM-SHA-256");
      Throwable guessed = assertThrows(Exception.class, () -> guesser.find("users", new JsonObject()).await(10, TimeUnit.SECONDS));
      assertTrue(String.valueOf(guessed.getMessage()).toLowerCase(Locale.ROOT).contains("auth"), guessed.getMessage());

      String password = uri.substring(uri.indexOf(':', "mongodb://".length()) + 1, uri.indexOf('@'));
      MongoClient plainUri = client("mongodb://hubbub:" + password + "@" + address + "/?authSource=admin");
      assertEquals(1L, plainUri.count("users", new JsonObject()).await(10, TimeUnit.SECONDS),
        "a URI that names no mechanism learns SCRAM-SHA-256 from the handshake");

      assertTrue(legacyQueryRefused(address), "an OP_QUERY of the users collection without signing in is refused");
      assertEquals(0L, owner.count("sessions", new JsonObject()).await(10, TimeUnit.SECONDS), "nothing was written by strangers");
      owner.close().await(10, TimeUnit.SECONDS);
    }

    Path file = dir.resolve(StoreCredentials.FILE_NAME);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    String before = Files.readString(file);
    try (EmbeddedStore again = EmbeddedStore.start(dir)) {
      assertEquals(before, Files.readString(file), "the credentials are kept across restarts");
      assertEquals(1L, client(again.uri()).count("users", new JsonObject()).await(10, TimeUnit.SECONDS));
    }
  }

  /**
   * Sends a legacy OP_QUERY for t.users and says whether it was refused (an error, or the connection
   * closed) rather than answered with documents; the same framing for the handshake is answered, so the
   * refusal is not a malformed message.
   */
  private static boolean legacyQueryRefused(String address) throws Exception {
    byte[] isMaster = {19, 0, 0, 0, 0x10, 'i', 's', 'm', 'a', 's', 't', 'e', 'r', 0, 1, 0, 0, 0, 0}; // {ismaster: 1}
    String handshake = legacyQuery(address, "admin.$cmd", isMaster);
    if (handshake == null || !handshake.contains("maxWireVersion")) {
      throw new AssertionError("the legacy handshake was not answered: " + handshake);
    }
    String reply = legacyQuery(address, "t.users", new byte[] {5, 0, 0, 0, 0});
    return reply == null || (reply.contains("requires authentication") && !reply.contains("$pbkdf2$secret"));
  }

  /** One OP_QUERY; its reply as text, or null when the server closed the connection instead. */
  private static String legacyQuery(String address, String namespace, byte[] query) throws Exception {
    String[] hostPort = address.split(":", -1);
    byte[] collection = (namespace + "\0").getBytes(StandardCharsets.US_ASCII);
    ByteBuffer message = ByteBuffer.allocate(16 + 4 + collection.length + 8 + query.length).order(ByteOrder.LITTLE_ENDIAN);
    message.putInt(message.capacity()).putInt(1).putInt(0).putInt(2004); // header: length, id, responseTo, OP_QUERY
    message.putInt(0).put(collection).putInt(0).putInt(10).put(query);
    try (Socket socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(message.array());
      out.flush();
      byte[] header = socket.getInputStream().readNBytes(4);
      if (header.length < 4) {
        return null;
      }
      int length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getInt();
      return new String(socket.getInputStream().readNBytes(length - 4), StandardCharsets.ISO_8859_1);
    }
  }
}
