package io.hubbub;

import com.mongodb.ConnectionString;
import io.hubbub.bus.EventRules;
import io.hubbub.embedded.EmbeddedStore;
import io.hubbub.storage.StoreConnection;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@link Main} checks before it joins a cluster or deploys anything, so that a node that cannot run
 * stops with one line naming the cause, before it has created an admin, claimed partitions or printed a
 * password: the HTTP port is free, the embedded store's data folder is not in use by another process, and
 * the MongoDB of {@code HUBBUB_MONGO_URI} answers (and takes the credentials) within {@code mongo.timeoutMs}.
 * Each check runs only for the verticles that need it. The verticles check again when they start (a port can
 * be taken in between): these checks only make the common case early and clear.
 */
final class Preflight {

  private static final Pattern CAUSE = Pattern.compile("caused by \\{([^}]*)}");
  private static final Pattern EXCEPTION = Pattern.compile("exception=\\{([^}]*)}");

  private Preflight() {
  }

  /** Completes when the node may start; fails with a {@link StartupException} otherwise. */
  static Future<Void> check(Vertx vertx, HubbubConf conf) {
    boolean storage = conf.runs("storage");
    boolean gateway = conf.runs("gateway");
    HubbubConf.Http http = conf.http();
    HubbubConf.Mongo mongo = conf.mongo();
    return vertx.executeBlocking(() -> {
      if (gateway) {
        portFree(http.host(), http.port());
      }
      if (storage && mongo.embedded()) {
        dataFolderFree(Path.of(mongo.dataDir()));
      }
      return null;
    }).compose(v -> storage && !mongo.embedded() ? storeAnswers(vertx, mongo) : Future.succeededFuture());
  }

  static void portFree(String host, int port) {
    if (port == 0) {
      return;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true); // as the HTTP server binds: a port left in TIME_WAIT is free
      socket.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw StartupException.portTaken(host, port, e);
    }
  }

  /** The embedded store's file, locked by the process that has it open (H2 locks it), must not be locked. */
  static void dataFolderFree(Path dataDir) {
    Path file = dataDir.resolve(EmbeddedStore.FILE_NAME);
    if (!Files.exists(file)) {
      return;
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw EmbeddedStore.inUse(dataDir, null);
      }
      lock.release();
    } catch (OverlappingFileLockException e) {
      throw EmbeddedStore.inUse(dataDir, e);
    } catch (IOException e) {
      throw new StartupException("data folder " + dataDir.toAbsolutePath() + " (HUBBUB_DATA_DIR) cannot be used: " + e, e);
    }
  }

  private static Future<Void> storeAnswers(Vertx vertx, HubbubConf.Mongo mongo) {
    String uri = mongo.uri();
    long timeoutMs = mongo.timeoutMs();
    String where = "MongoDB at " + String.join(",", new ConnectionString(uri).getHosts()) + " (HUBBUB_MONGO_URI)";
    Future<String> signedIn = StoreConnection.signedIn(vertx, mongo)
      .recover(failure -> Future.failedFuture(new StartupException("mongo.credentialsFile " + mongo.credentialsFile()
        + " cannot be read (" + failure.getMessage() + "): it is the store.credentials file in the data folder of the node whose embedded store this is")));
    return signedIn.compose(full -> {
      MongoClient client = MongoClient.create(vertx, new JsonObject()
        .put("connection_string", full)
        .put("serverSelectionTimeoutMS", timeoutMs)
        .put("connectTimeoutMS", timeoutMs)
        .put("maxPoolSize", 1));
      return client.runCommand("ping", new JsonObject().put("ping", 1))
        .eventually(client::close)
        .<Void>mapEmpty()
        .recover(failure -> Future.failedFuture(new StartupException(where + " did not answer within " + timeoutMs
          + " ms: " + reason(failure), failure)));
    });
  }

  /** The driver's innermost reason, from its long one-line description of the cluster's state. */
  static String reason(Throwable failure) {
    String text = String.valueOf(failure.getMessage());
    if (failure.getClass().getSimpleName().contains("Security") || text.contains("authenticat")) {
      return "it refused the credentials";
    }
    String reason = null;
    for (Matcher m = CAUSE.matcher(text); m.find(); ) {
      reason = m.group(1);
    }
    if (reason == null) {
      Matcher m = EXCEPTION.matcher(text);
      reason = m.find() ? m.group(1) : failure.getClass().getSimpleName() + ": " + text;
    }
    return EventRules.clip(reason, 200);
  }
}
