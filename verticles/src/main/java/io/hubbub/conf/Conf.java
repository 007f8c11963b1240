package io.hubbub.conf;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a node's conf: the JSON file, then the environment variables of PROTOCOL.md's "Running",
 * which win; then checks it whole and fills in the defaults.
 */
public final class Conf {

  public static final String CONF_VARIABLE = "HUBBUB_CONF";
  public static final String DEFAULT_FILE = "conf/hubbub.json";

  /** Each variable and the conf key it sets. */
  static final Map<String, String> OVERRIDES = new LinkedHashMap<>();

  static {
    OVERRIDES.put("HUBBUB_HTTP_PORT", "http.port");
    OVERRIDES.put("HUBBUB_MONGO_URI", "mongo.uri");
    OVERRIDES.put("HUBBUB_DATA_DIR", "mongo.dataDir");
    OVERRIDES.put("HUBBUB_ADMIN_PASSWORD", "auth.adminPassword");
    OVERRIDES.put("HUBBUB_CLUSTER_HOST", "cluster.host");
    OVERRIDES.put("HUBBUB_CLUSTER_MEMBERS", "cluster.members");
    OVERRIDES.put("HUBBUB_CLUSTER_PORT", "cluster.port");
    OVERRIDES.put("HUBBUB_NODE_NAME", "cluster.node");
    OVERRIDES.put("HUBBUB_TLS_CERT", "http.tls.cert");
    OVERRIDES.put("HUBBUB_TLS_KEY", "http.tls.key");
  }

  /** Each conf key a variable sets, and the variable. */
  static final Map<String, String> VARIABLES = OVERRIDES.entrySet().stream()
    .collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getValue, Map.Entry::getKey));

  private Conf() {
  }

  public static Future<JsonObject> load(Vertx vertx, String file) {
    if (!Files.isRegularFile(Path.of(file))) {
      return Future.failedFuture(new ConfException(CONF_VARIABLE, "a readable conf file", file));
    }
    JsonArray keys = new JsonArray(OVERRIDES.keySet().stream().toList());
    ConfigRetrieverOptions options = new ConfigRetrieverOptions()
      .setScanPeriod(0)
      .addStore(new ConfigStoreOptions().setType("file").setFormat("json").setConfig(new JsonObject().put("path", file)))
      .addStore(new ConfigStoreOptions().setType("env").setConfig(new JsonObject().put("keys", keys).put("raw-data", true)));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
      .eventually(retriever::close)
      .recover(failure -> Future.failedFuture(new ConfException(file, "a JSON object", firstLine(failure))))
      .map(Conf::resolve);
  }

  /** Applies the variables found at the top of {@code merged} to their keys, and checks the result. */
  public static JsonObject resolve(JsonObject merged) {
    JsonObject conf = merged.copy();
    for (Map.Entry<String, String> override : OVERRIDES.entrySet()) {
      Object value = conf.remove(override.getKey());
      if (value != null) {
        set(conf, override.getValue(), convert(override.getKey(), String.valueOf(value)));
      }
    }
    ConfCheck.check(conf, VARIABLES);
    return ConfSchema.withDefaults(conf);
  }

  private static Object convert(String variable, String value) {
    return switch (variable) {
      case "HUBBUB_HTTP_PORT", "HUBBUB_CLUSTER_PORT" -> {
        try {
          yield Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
          throw new ConfException(variable, "an integer from 0 to 65535", value);
        }
      }
      case "HUBBUB_CLUSTER_MEMBERS" -> new JsonArray(Arrays.stream(value.split(","))
        .map(String::trim).filter(s -> !s.isEmpty()).toList());
      default -> value;
    };
  }

  private static void set(JsonObject conf, String path, Object value) {
    String[] parts = path.split("\\.", -1);
    JsonObject section = conf;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject inner = section.getValue(parts[i]) instanceof JsonObject s ? s : new JsonObject();
      section.put(parts[i], inner);
      section = inner;
    }
    section.put(parts[parts.length - 1], value);
  }

  private static String firstLine(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    String message = String.valueOf(root.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
