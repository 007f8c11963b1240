package io.hubbub.bench;

import io.hubbub.Node;
import io.hubbub.embedded.EmbeddedStore;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.BulkOperation;
import io.vertx.ext.mongo.BulkWriteOptions;
import io.vertx.ext.mongo.IndexOptions;
import io.vertx.ext.mongo.MongoClient;
import io.vertx.ext.mongo.WriteOption;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.stream.Stream;

/**
 * What every benchmark starts from: an embedded store in a temporary folder and a Vert.x with metrics,
 * as the launcher makes it; closing them deletes the folder.
 */
final class BenchStore implements AutoCloseable {

  final Vertx vertx;
  private final Path dir;
  private final EmbeddedStore store;

  private BenchStore(Path dir, EmbeddedStore store, Vertx vertx) {
    this.dir = dir;
    this.store = store;
    this.vertx = vertx;
  }

  static BenchStore start(String name) throws Exception {
    Path dir = Files.createTempDirectory(name);
    return new BenchStore(dir, EmbeddedStore.start(dir), Node.newVertx());
  }

  /** The store's file, for its size. */
  Path file() {
    return dir.resolve(EmbeddedStore.FILE_NAME);
  }

  String uri() {
    return store.uri();
  }

  /** How many documents a collection of a database of the store holds. */
  long count(String database, String collection) throws Exception {
    MongoClient mongo = MongoClient.create(vertx, new JsonObject().put("connection_string", uri()).put("db_name", database));
    try {
      return mongo.count(collection, new JsonObject()).await(60, TimeUnit.SECONDS);
    } finally {
      mongo.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * The store's own rate, the ceiling Hubbub's appends are read against: documents as stored events are (made by
   * {@code document} from 1, 2, …), {@code bulkSize} per bulk write, journaled or not, for {@code seconds}, into a
   * collection with the events' unique {@code sid} index. Prints and answers documents/s.
   */
  double rawInsertRate(String collection, int bulkSize, boolean journaled, int seconds, LongFunction<JsonObject> document)
    throws Exception {
    return rawInsertRate(vertx, uri(), collection, bulkSize, journaled, seconds, document);
  }

  /** {@link #rawInsertRate(String, int, boolean, int, LongFunction)} into the store at {@code uri} (another process's). */
  static double rawInsertRate(Vertx vertx, String uri, String collection, int bulkSize, boolean journaled, int seconds,
                              LongFunction<JsonObject> document) throws Exception {
    MongoClient mongo = MongoClient.create(vertx, new JsonObject().put("connection_string", uri).put("db_name", "bench_raw"));
    mongo.createIndexWithOptions(collection, new JsonObject().put("sid", 1), new IndexOptions().unique(true))
      .await(30, TimeUnit.SECONDS);
    BulkWriteOptions options = new BulkWriteOptions(true).setWriteOption(journaled ? WriteOption.JOURNALED : WriteOption.ACKNOWLEDGED);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long start = System.nanoTime();
    long written = 0;
    while (System.nanoTime() < end) {
      List<BulkOperation> bulk = new ArrayList<>(bulkSize);
      for (int i = 1; i <= bulkSize; i++) {
        bulk.add(BulkOperation.createInsert(document.apply(written + i)));
      }
      mongo.bulkWriteWithOptions(collection, bulk, options).await(60, TimeUnit.SECONDS);
      written += bulkSize;
    }
    double rate = written / ((System.nanoTime() - start) / 1e9);
    mongo.close().await(10, TimeUnit.SECONDS);
    System.out.printf("  store: raw bulk insert of %d into %s%s: %,.0f/s%n", bulkSize, collection, journaled ? " (journaled)" : "", rate);
    return rate;
  }

  /** The default conf, on this store and {@code port}, with cheap password hashes. */
  JsonObject conf(int port) throws IOException {
    JsonObject conf = new JsonObject(Files.readString(Path.of("conf", "hubbub.json")));
    conf.getJsonObject("http").put("port", port);
    conf.getJsonObject("mongo").put("uri", uri()).put("database", "bench");
    conf.getJsonObject("auth").put("passwordIterations", 1_000)
      // every simulated user signs up from this one address
      .put("throttle", new JsonObject().put("perUser", 1_000).put("perAddress", 1_000_000));
    return conf;
  }

  static int freePort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0)) {
      return probe.getLocalPort();
    }
  }

  @Override
  public void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
    store.close();
    deleteTree(dir);
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
