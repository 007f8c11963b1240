package io.hubbub.support;

import io.hubbub.embedded.EmbeddedStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * The MongoDB the tests use: {@code HUBBUB_TEST_MONGO_URI} when set, otherwise one embedded store per
 * test JVM in a temporary folder. Each test takes a fresh database, so tests never see each other's data.
 */
public final class TestStore {

  public static final String TEST_MONGO_URI = "HUBBUB_TEST_MONGO_URI";
  private static String uri;

  private TestStore() {
  }

  public static synchronized String uri() {
    if (uri == null) {
      String configured = System.getenv(TEST_MONGO_URI);
      if (configured != null && !configured.isBlank()) {
        uri = configured;
      } else {
        try {
          Path dir = Files.createTempDirectory("hubbub-test-store");
          EmbeddedStore store = EmbeddedStore.start(dir);
          Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            store.close();
            TestFiles.deleteTree(dir);
          }));
          uri = store.uri();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return uri;
  }

  /** A database name no other test uses. */
  public static String freshDatabase() {
    return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  public static boolean external() {
    String configured = System.getenv(TEST_MONGO_URI);
    return configured != null && !configured.isBlank();
  }
}
