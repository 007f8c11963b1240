package io.hubbub.conf;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Checks a whole conf before anything starts, failing on the first problem with a {@link ConfException} that
 * names the key and what it should be. The {@link ConfSchema schema} says what each key holds (unknown keys are
 * errors too: a misspelt key that silently does nothing is worse than a refusal to start); this class adds what a
 * schema cannot say: that each verticle's own {@code config}, merged over the conf, holds as a whole, that TLS
 * files can be read, and which verticles must run together.
 */
public final class ConfCheck {

  /** The verticles a conf may name, in the order they are best deployed (the schema's enum, in this order). */
  public static final List<String> VERTICLES = List.of("storage", "audit", "auth", "chat", "sensors", "gateway");

  private ConfCheck() {
  }

  /**
   * Checks {@code conf} whole, or throws.
   *
   * @param conf      the conf, with the environment's variables applied
   * @param variables each conf key an environment variable sets, and the variable, for the messages
   */
  public static void check(JsonObject conf, Map<String, String> variables) {
    ConfSchema.check(conf, variables);
    readable(conf, variables);
    JsonArray verticles = conf.getJsonArray("verticles");
    for (int i = 0; i < verticles.size(); i++) {
      JsonObject own = verticles.getJsonObject(i).getJsonObject("config");
      if (own == null) {
        continue;
      }
      // a verticle's own config is merged over the conf it is deployed with: that whole conf must hold, too
      String key = "verticles[" + i + "].config";
      if (own.containsKey("verticles")) {
        throw new ConfException(key + ".verticles: a verticle's config cannot name verticles");
      }
      JsonObject merged = conf.copy().mergeIn(own, true);
      try {
        ConfSchema.check(merged, Map.of());
        readable(merged, Map.of());
      } catch (ConfException e) {
        throw new ConfException(key + ": " + e.getMessage());
      }
    }
    List<?> origins = conf.getJsonObject("http", new JsonObject()).getJsonObject("cors", new JsonObject())
      .getJsonArray("origins", new JsonArray()).getList();
    if (origins.contains("*") && origins.size() > 1) {
      throw new ConfException("http.cors.origins", "either origins or * alone (any origin)", origins.toString());
    }
    List<String> names = verticles.stream().map(v -> ((JsonObject) v).getString("name")).toList();
    JsonObject cluster = conf.getJsonObject("cluster", new JsonObject());
    if (Boolean.TRUE.equals(cluster.getValue("enabled")) && names.contains("gateway") && !names.contains("chat")) {
      throw new ConfException("verticles: a clustered node that runs 'gateway' must run 'chat' too "
        + "(each node's chat verticle delivers presence to that node's bridge connections)");
    }
  }

  /** The PEM files of {@code http.tls} and {@code cluster.tls} (the schema has checked that they come together). */
  private static void readable(JsonObject conf, Map<String, String> variables) {
    for (String section : List.of("http", "cluster")) {
      JsonObject tls = conf.getJsonObject(section, new JsonObject()).getJsonObject("tls", new JsonObject());
      for (String file : tls.fieldNames()) {
        String path = tls.getString(file);
        if (!Files.isReadable(Path.of(path))) {
          String key = section + ".tls." + file;
          String variable = variables.get(key);
          throw new ConfException(variable == null ? key : key + " (" + variable + ")", "a readable PEM file", path);
        }
      }
    }
  }
}
