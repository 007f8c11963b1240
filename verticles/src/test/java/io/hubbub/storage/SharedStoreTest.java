package io.hubbub.storage;

import io.hubbub.embedded.EmbeddedStore;
import io.hubbub.embedded.StoreCredentials;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestFiles;
import io.hubbub.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A node of a local cluster that uses another node's embedded store signs in with the credentials kept beside
 * that store's data (mongo.credentialsFile); without them the store refuses it and it serves nothing (503).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class SharedStoreTest {

  @Test
  void anotherNodeSignsInWithTheCredentialsFile(Vertx vertx) throws Exception {
    Path dir = Files.createTempDirectory("hubbub-shared-store");
    try (EmbeddedStore store = EmbeddedStore.start(dir)) {
      String uri = store.uri();
      String plain = "mongodb://" + uri.substring(uri.indexOf('@') + 1, uri.indexOf('/', uri.indexOf('@')));

      JsonObject withFile = TestConf.node();
      withFile.getJsonObject("mongo").put("uri", plain).put("credentialsFile", dir.resolve(StoreCredentials.FILE_NAME).toString());
      TestNode node = TestNode.start(vertx, withFile).await(30, TimeUnit.SECONDS);
      try {
        String token = node.user("nina").await(30, TimeUnit.SECONDS);
        assertEquals(201, node.post("/api/streams/app.shared/events", token,
          new JsonObject().put("type", "HI").put("data", new JsonObject())).await(30, TimeUnit.SECONDS).status());
      } finally {
        node.stop().await(30, TimeUnit.SECONDS);
      }

      JsonObject without = TestConf.node();
      without.getJsonObject("mongo").put("uri", plain).put("timeoutMs", 1_000);
      TestNode refused = TestNode.start(vertx, without).await(30, TimeUnit.SECONDS);
      try {
        assertEquals(503, refused.get("/ready", null).await(30, TimeUnit.SECONDS).status(), "the store answers no stranger");
        assertEquals(503, refused.post("/api/users", null, new JsonObject().put("username", "oscar").put("password", "password-oscar"))
          .await(30, TimeUnit.SECONDS).status());
      } finally {
        refused.stop().otherwiseEmpty().await(30, TimeUnit.SECONDS);
      }
    } finally {
      TestFiles.deleteTree(dir);
    }
  }
}
