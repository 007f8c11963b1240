package io.hubbub.storage;

import io.hubbub.conf.HubbubConf;
import io.hubbub.embedded.EmbeddedStore;
import io.hubbub.support.TestFiles;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The node's embedded store, shared by storage instances that ask for it from contexts of their own. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class NodeStoreTest {

  private static final int USERS = 8;

  /** Asks for the store as it starts, on its own event loop, as a storage instance does. */
  private static final class User extends VerticleBase {
    private final HubbubConf.Mongo mongo;
    NodeStore.Hold hold;

    User(HubbubConf.Mongo mongo) {
      this.mongo = mongo;
    }

    @Override
    public Future<?> start() {
      return NodeStore.acquire(vertx, mongo).onSuccess(h -> hold = h);
    }
  }

  @Test
  void everyUserGetsTheOneStoreWhetherItAsksBeforeOrAfterItStartedAndTheLastReleaseClosesIt(Vertx vertx)
    throws Exception {
    Path dir = Files.createTempDirectory("hubbub-node-store");
    try {
      HubbubConf.Mongo mongo = new HubbubConf.Mongo("", "hubbub", dir.toString(), 5_000, "127.0.0.1", 0, null);
      for (int round = 0; round < 3; round++) { // the store closes and opens again
        List<User> users = IntStream.range(0, USERS).mapToObj(i -> new User(mongo)).toList();
        Future.all(users.stream().map(vertx::deployVerticle).toList()).await(30, TimeUnit.SECONDS); // all at once
        User late = new User(mongo);
        vertx.deployVerticle(late).await(30, TimeUnit.SECONDS); // once the store is up
        EmbeddedStore store = late.hold.store();
        assertThat(users).allSatisfy(user -> assertThat(user.hold.store()).isSameAs(store));

        for (User user : users) {
          NodeStore.release(user.hold);
          assertThat(dir.resolve(EmbeddedStore.ADDRESS_FILE)).as("still held").exists();
        }
        NodeStore.release(late.hold);
        assertThat(dir.resolve(EmbeddedStore.ADDRESS_FILE)).as("the last release closed it").doesNotExist();
      }
    } finally {
      TestFiles.deleteTree(dir);
    }
  }
}
