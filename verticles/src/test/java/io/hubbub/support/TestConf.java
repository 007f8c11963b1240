package io.hubbub.support;

import io.hubbub.conf.ConfCheck;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The default conf of the repository, adjusted for a test: free port, test store, fresh database, cheap hashes. */
public final class TestConf {

  public static final String ADMIN = "admin";
  public static final String ADMIN_PASSWORD = "admin-password-1";
  /** Every verticle once (one gateway, so a test knows its port), in the order they are best deployed. */
  public static final String[] EVERY_VERTICLE = ConfCheck.VERTICLES.toArray(String[]::new);

  private TestConf() {
  }

  public static JsonObject defaults() {
    Path file = Path.of("..", "conf", "hubbub.json");
    try {
      JsonObject conf = new JsonObject(Files.readString(file));
      conf.getJsonObject("mqtt").put("port", 0); // tests never take the well-known port
      return conf;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every verticle, one gateway, on the test store in a fresh database. */
  public static JsonObject node() {
    JsonObject conf = defaults();
    conf.getJsonObject("http").put("port", 0);
    conf.getJsonObject("mongo").put("uri", TestStore.uri()).put("database", TestStore.freshDatabase());
    // tests sign many users up from one address; ThrottleTest checks the throttle itself
    conf.getJsonObject("auth").put("passwordIterations", 1_000).put("adminPassword", ADMIN_PASSWORD)
      .put("throttle", new JsonObject().put("perUser", 1_000).put("perAddress", 10_000));
    return only(conf, EVERY_VERTICLE);
  }

  /** Only the named verticles. */
  public static JsonObject only(JsonObject conf, String... verticles) {
    JsonArray list = new JsonArray();
    for (String name : verticles) {
      list.add(new JsonObject().put("name", name));
    }
    return conf.put("verticles", list);
  }
}
