package io.hubbub.storage;

import io.hubbub.conf.HubbubConf;
import io.hubbub.embedded.EmbeddedStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The embedded store of a node, shared by its storage instances: the first to start opens it (off the loop), the
 * others wait for the same start, and the last to stop closes it. A store file is open once per process (H2 locks
 * it), so instances of one Vert.x instance share it by data folder; another Vert.x instance in the same process
 * (another node, in tests) opening the same folder still fails as another process would.
 */
final class NodeStore {

  /** A shared store: by Vert.x instance and data folder. */
  record Key(Vertx vertx, Path dataDir) {
  }

  private static final class Shared {
    final Future<EmbeddedStore> started;
    int users;

    Shared(Future<EmbeddedStore> started) {
      this.started = started;
    }
  }

  private static final Map<Key, Shared> OPEN = new HashMap<>(); // guarded by itself

  private NodeStore() {
  }

  /** A storage instance's hold on the node's store, given by {@link #acquire}: {@link #release} it once. */
  record Hold(Key key, EmbeddedStore store) {
  }

  /** The node's store under {@code mongo.dataDir}, started on first use; completes on the caller's context. */
  static Future<Hold> acquire(Vertx vertx, HubbubConf.Mongo mongoConf) {
    Key key = new Key(vertx, Path.of(mongoConf.dataDir()).toAbsolutePath().normalize());
    Context context = vertx.getOrCreateContext();
    Shared shared;
    synchronized (OPEN) {
      shared = OPEN.computeIfAbsent(key, k -> new Shared(vertx.executeBlocking(() ->
        EmbeddedStore.start(k.dataDir(), mongoConf.embeddedHost(), mongoConf.embeddedPort()))));
      shared.users++;
    }
    Shared acquired = shared;
    Promise<Hold> here = Promise.promise();
    acquired.started.onComplete(done -> {
      if (done.failed()) {
        synchronized (OPEN) {
          OPEN.remove(key, acquired); // the next start tries again
        }
      }
      // not done.map(...): that is a future of its own, which may complete later on the store's context
      context.runOnContext(v -> {
        if (done.succeeded()) {
          here.complete(new Hold(key, done.result()));
        } else {
          here.fail(done.cause());
        }
      });
    });
    return here.future();
  }

  /** One user less of the store; the last one closes it. Blocking: call it off the loop. */
  static void release(Hold hold) {
    synchronized (OPEN) {
      Shared shared = OPEN.get(hold.key()); // held, so still the entry the hold came from
      if (shared != null && --shared.users > 0) {
        return;
      }
      OPEN.remove(hold.key());
    }
    hold.store().close();
  }
}
