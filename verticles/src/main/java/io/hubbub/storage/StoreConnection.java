package io.hubbub.storage;

import io.hubbub.embedded.StoreCredentials;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/**
 * Storage's way to its store, from the conf's {@code mongo} section: the MongoDB of {@code mongo.uri} (signed in
 * with another node's embedded-store credentials when {@code mongo.credentialsFile} names them), or, with no URI,
 * the node's embedded store under {@code mongo.dataDir} ({@link NodeStore}, one for all the node's storage instances);
 * and the clients store calls go through: vertx-mongo-client for every call but history reads and bucket inserts,
 * which take the buckets as BSON through {@link RawBuckets}.
 */
public final class StoreConnection {

  private static final Logger log = LoggerFactory.getLogger(StoreConnection.class);

  final MongoClient mongo;
  /** History reads and bucket inserts as BSON, on connections of their own to the same store. */
  final RawBuckets raw;
  /** The connection string, with its credentials: never log it whole ({@link #redact}). */
  final String uri;
  private final NodeStore.Hold embedded;

  private StoreConnection(MongoClient mongo, RawBuckets raw, String uri, NodeStore.Hold embedded) {
    this.mongo = mongo;
    this.raw = raw;
    this.uri = uri;
    this.embedded = embedded;
  }

  static Future<StoreConnection> open(Vertx vertx, HubbubConf.Mongo mongoConf, int poolSize) {
    Future<NodeStore.Hold> embedded;
    Future<String> connection;
    if (!mongoConf.embedded()) {
      log.info("using MongoDB [uri: {}{}]", redact(mongoConf.uri()),
        mongoConf.credentialsFile() == null ? "" : ", credentials: " + mongoConf.credentialsFile());
      embedded = Future.succeededFuture();
      connection = signedIn(vertx, mongoConf);
    } else {
      embedded = NodeStore.acquire(vertx, mongoConf);
      connection = embedded.map(hold -> hold.store().uri());
    }
    return connection.map(full -> new StoreConnection(MongoClient.create(vertx, new JsonObject()
      .put("connection_string", full)
      .put("db_name", mongoConf.database())
      .put("serverSelectionTimeoutMS", mongoConf.timeoutMs())
      .put("connectTimeoutMS", mongoConf.timeoutMs())
      .put("maxPoolSize", poolSize)),
      new RawBuckets(vertx, full, mongoConf.database(), mongoConf.timeoutMs(), poolSize), full, embedded.result()));
  }

  /**
   * {@code mongo.uri}, signed in with the credentials of {@code mongo.credentialsFile} when it names one and the URI
   * carries none (another node's embedded store keeps them beside its data).
   */
  public static Future<String> signedIn(Vertx vertx, HubbubConf.Mongo mongoConf) {
    String uri = mongoConf.uri();
    String credentialsFile = mongoConf.credentialsFile();
    if (credentialsFile == null || uri.contains("@")) {
      return Future.succeededFuture(uri);
    }
    return vertx.executeBlocking(() -> StoreCredentials.read(Path.of(credentialsFile)).into(uri));
  }

  /** Closes the clients, then the embedded store if this was its last user on the node (blocking, off the loop). */
  Future<Void> close(Vertx vertx) {
    return mongo.close().eventually(() -> vertx.executeBlocking(() -> {
      raw.close();
      if (embedded != null) {
        NodeStore.release(embedded);
      }
      return null;
    }));
  }

  static String redact(String uri) {
    return uri.replaceAll("//[^@/]*@", "//***@");
  }
}
