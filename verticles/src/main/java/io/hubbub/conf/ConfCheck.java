package io.hubbub.conf;

import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Readings;
import io.hubbub.bus.Streams;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a whole conf before anything starts, failing on the first problem with a
 * {@link ConfException} that names the key and what it should be. Unknown keys are errors too:
 * a misspelt key that silently does nothing is worse than a refusal to start.
 */
public final class ConfCheck {

  /** The verticles a conf may name, in the order they are best deployed. */
  public static final List<String> VERTICLES = List.of("storage", "audit", "auth", "chat", "sensors", "gateway");
  /**
   * At most one instance per node: storage (it may start the node's embedded store), chat (each node's
   * instance delivers presence to the node's connections), sensors (one active in the cluster) and audit
   * (its sampling of refusals is per instance).
   */
  private static final Set<String> SINGLE = Set.of("storage", "audit", "chat", "sensors");
  public static final Set<String> RULES = Set.of("none", "anonymous", "authenticated", "admin", "members", "device");

  private static final Pattern USERNAME = AuthBus.USERNAME;
  private static final Pattern NAMESPACE = Streams.NAMESPACE;
  private static final Pattern KIND = Readings.KIND;
  private static final Pattern DATABASE = Pattern.compile("[A-Za-z0-9_-]{1,63}");
  private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private ConfCheck() {
  }

  public static void check(JsonObject conf) {
    sections(conf);
    verticles(conf.getValue("verticles"));
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
        sections(merged);
      } catch (ConfException e) {
        throw new ConfException(key + ": " + e.getMessage());
      }
    }
    List<String> names = verticles.stream().map(v -> ((JsonObject) v).getString("name")).toList();
    if (Boolean.TRUE.equals(section(conf, "cluster").getValue("enabled")) && names.contains("gateway") && !names.contains("chat")) {
      throw new ConfException("verticles: a clustered node that runs 'gateway' must run 'chat' too "
        + "(each node's chat verticle delivers presence to that node's bridge connections)");
    }
  }

  /** Every section but {@code verticles}. */
  private static void sections(JsonObject conf) {
    keys(conf, "", Set.of("http", "mongo", "admins", "limits", "auth", "storage", "chat", "sensors", "audit", "namespaces", "verticles", "cluster"));

    JsonObject http = section(conf, "http");
    keys(http, "http.", Set.of("host", "port", "maxBodyBytes", "websocketCompression", "idleTimeoutSeconds", "requestTimeoutSeconds", "tls",
      "metrics"));
    Object metrics = http.getValue("metrics");
    if (metrics != null && !"public".equals(metrics) && !"admin".equals(metrics)) {
      throw new ConfException("http.metrics", "\"public\" or \"admin\"", metrics);
    }
    pemFiles(section(http, "tls"), "http.tls", List.of("cert", "key"), "HUBBUB_TLS_CERT and HUBBUB_TLS_KEY");
    integer(http, "http.idleTimeoutSeconds", 1, 86_400);
    integer(http, "http.requestTimeoutSeconds", 1, 3_600);
    integer(http, "http.port", 0, 65_535);
    bool(http, "http.websocketCompression");
    string(http, "http.host", false);
    integer(http, "http.maxBodyBytes", 1_024, 64 * 1_048_576);

    JsonObject mongo = section(conf, "mongo");
    keys(mongo, "mongo.", Set.of("uri", "database", "dataDir", "timeoutMs", "embeddedHost", "embeddedPort", "credentialsFile"));
    string(mongo, "mongo.credentialsFile", false);
    String uri = string(mongo, "mongo.uri", true);
    if (uri != null && !uri.isEmpty() && !uri.startsWith("mongodb://") && !uri.startsWith("mongodb+srv://")) {
      throw new ConfException("mongo.uri (HUBBUB_MONGO_URI)", "a mongodb:// or mongodb+srv:// URI, or nothing for the embedded store", uri);
    }
    matches(mongo, "mongo.database", DATABASE);
    string(mongo, "mongo.dataDir", false);
    integer(mongo, "mongo.timeoutMs", 100, 600_000);
    string(mongo, "mongo.embeddedHost", false);
    integer(mongo, "mongo.embeddedPort", 0, 65_535);

    Object admins = conf.getValue("admins");
    if (admins != null) {
      if (!(admins instanceof JsonArray list)) {
        throw new ConfException("admins", "an array of user names", admins);
      }
      for (int i = 0; i < list.size(); i++) {
        if (!(list.getValue(i) instanceof String name) || !USERNAME.matcher(name).matches()) {
          throw new ConfException("admins[" + i + "]", "a user name matching " + USERNAME.pattern(), list.getValue(i));
        }
      }
    }

    JsonObject limits = section(conf, "limits");
    keys(limits, "limits.", Set.of("maxDataBytes", "maxBatch", "liveQueueBytes", "maxReadBytes", "readsInFlight"));
    integer(limits, "limits.maxReadBytes", 1_024, 1_073_741_824);
    integer(limits, "limits.readsInFlight", 1, 10_000);
    integer(limits, "limits.maxDataBytes", 1, 16 * 1_048_576);
    integer(limits, "limits.maxBatch", 1, 10_000);
    integer(limits, "limits.liveQueueBytes", 65_536, 1_073_741_824);

    JsonObject auth = section(conf, "auth");
    keys(auth, "auth.", Set.of("sessionTtlSeconds", "passwordIterations", "adminPassword", "throttle", "hashThreads"));
    integer(auth, "auth.hashThreads", 1, 64);
    JsonObject throttle = section(auth, "throttle");
    keys(throttle, "auth.throttle.", Set.of("perUser", "perAddress", "perSeconds"));
    integer(throttle, "auth.throttle.perUser", 1, 1_000_000);
    integer(throttle, "auth.throttle.perAddress", 1, 1_000_000);
    integer(throttle, "auth.throttle.perSeconds", 1, 86_400);
    integer(auth, "auth.sessionTtlSeconds", 60, 365L * 86_400);
    integer(auth, "auth.passwordIterations", 1_000, 10_000_000);
    string(auth, "auth.adminPassword", true);

    JsonObject storage = section(conf, "storage");
    keys(storage, "storage.", Set.of("maxBatchEvents", "seqCacheStreams", "poolSize", "collections", "partitions"));
    integer(storage, "storage.partitions", 1, 4_096);
    integer(storage, "storage.maxBatchEvents", 1, 100_000);
    integer(storage, "storage.seqCacheStreams", 1_000, 100_000_000);
    integer(storage, "storage.poolSize", 1, 1_000);

    JsonObject chat = section(conf, "chat");
    keys(chat, "chat.", Set.of("maxTextLength", "typingSeconds", "rateLimit"));
    integer(chat, "chat.maxTextLength", 1, 60_000);
    integer(chat, "chat.typingSeconds", 1, 600);
    JsonObject rate = section(chat, "rateLimit");
    keys(rate, "chat.rateLimit.", Set.of("messages", "perSeconds"));
    integer(rate, "chat.rateLimit.messages", 1, 1_000_000);
    integer(rate, "chat.rateLimit.perSeconds", 1, 86_400);

    JsonObject sensors = section(conf, "sensors");
    keys(sensors, "sensors.", Set.of("alerts"));
    alertRules(sensors.getValue("alerts"));

    JsonObject audit = section(conf, "audit");
    keys(audit, "audit.", Set.of("access"));
    JsonObject access = section(audit, "access");
    keys(access, "audit.access.", Set.of("perRemote", "total", "perSeconds"));
    integer(access, "audit.access.perRemote", 1, 1_000_000);
    integer(access, "audit.access.total", 1, 1_000_000);
    integer(access, "audit.access.perSeconds", 1, 86_400);

    JsonObject namespaces = section(conf, "namespaces");
    for (String name : namespaces.fieldNames()) {
      String key = "namespaces." + name;
      if (!NAMESPACE.matcher(name).matches()) {
        throw new ConfException(key, "a namespace name matching " + NAMESPACE.pattern(), name);
      }
      JsonObject rules = section(namespaces, name);
      keys(rules, key + ".", Set.of("publish", "read"));
      for (String action : List.of("publish", "read")) {
        Object rule = rules.getValue(action);
        if (!(rule instanceof String r) || !RULES.contains(r)) {
          throw new ConfException(key + "." + action, "one of " + RULES, rule);
        }
      }
    }

    JsonObject cluster = section(conf, "cluster");
    keys(cluster, "cluster.", Set.of("enabled", "name", "host", "port", "members", "node", "tls", "quorum"));
    integer(cluster, "cluster.quorum", 1, 1_000);
    pemFiles(section(cluster, "tls"), "cluster.tls", List.of("cert", "key", "ca"), "cluster.tls.cert, .key and .ca");
    integer(cluster, "cluster.port", 1, 65_535);
    bool(cluster, "cluster.enabled");
    matches(cluster, "cluster.name", CLUSTER_NAME);
    string(cluster, "cluster.host", false);
    string(cluster, "cluster.node", false);
    Object members = cluster.getValue("members");
    if (members != null && (!(members instanceof JsonArray list) || list.isEmpty()
      || list.stream().anyMatch(m -> !(m instanceof String s) || s.isBlank()))) {
      throw new ConfException("cluster.members (HUBBUB_CLUSTER_MEMBERS)", "a non-empty list of host names or addresses", members);
    }

  }

  /** A TLS section: nothing, or every one of {@code files} naming a readable PEM file. */
  private static void pemFiles(JsonObject tls, String key, List<String> files, String together) {
    if (tls.isEmpty()) {
      return;
    }
    keys(tls, key + ".", Set.copyOf(files));
    for (String file : files) {
      Object path = tls.getValue(file);
      if (path == null) {
        throw new ConfException(key + "." + file + ": missing (" + together + " go together)");
      }
      if (!(path instanceof String p) || !Files.isReadable(Path.of(p))) {
        throw new ConfException(key + "." + file, "a readable PEM file", path);
      }
    }
  }

  private static void alertRules(Object value) {
    if (value == null) {
      return;
    }
    if (!(value instanceof JsonArray list)) {
      throw new ConfException("sensors.alerts", "an array of {kind, above or below, forSeconds?, hysteresis?}", value);
    }
    for (int i = 0; i < list.size(); i++) {
      String key = "sensors.alerts[" + i + "]";
      if (!(list.getValue(i) instanceof JsonObject rule)) {
        throw new ConfException(key, "an object {kind, above or below, forSeconds?, hysteresis?}", list.getValue(i));
      }
      keys(rule, key + ".", Set.of("kind", "above", "below", "forSeconds", "hysteresis"));
      if (!(rule.getValue("kind") instanceof String kind) || !KIND.matcher(kind).matches()) {
        throw new ConfException(key + ".kind", "a reading kind matching " + KIND.pattern(), rule.getValue("kind"));
      }
      if (rule.containsKey("above") == rule.containsKey("below")) {
        throw new ConfException(key, "exactly one of 'above' and 'below'", rule.encode());
      }
      for (String field : List.of("above", "below", "hysteresis")) {
        Object n = rule.getValue(field);
        if (n != null && (!(n instanceof Number number) || !Double.isFinite(number.doubleValue()))) {
          throw new ConfException(key + "." + field, "a number", n);
        }
      }
      if (rule.getValue("hysteresis") instanceof Number h && h.doubleValue() < 0) {
        throw new ConfException(key + ".hysteresis", "a number of 0 or more", h);
      }
      integer(rule, key + ".forSeconds", 0, 86_400);
    }
  }

  private static void verticles(Object value) {
    if (!(value instanceof JsonArray list) || list.isEmpty()) {
      throw new ConfException("verticles", "a non-empty array of {name, instances?, config?}", value);
    }
    for (int i = 0; i < list.size(); i++) {
      String key = "verticles[" + i + "]";
      if (!(list.getValue(i) instanceof JsonObject entry)) {
        throw new ConfException(key, "an object {name, instances?, config?}", list.getValue(i));
      }
      keys(entry, key + ".", Set.of("name", "instances", "config"));
      Object name = entry.getValue("name");
      if (!(name instanceof String n) || !VERTICLES.contains(n)) {
        throw new ConfException(key + ".name", "one of " + VERTICLES, name);
      }
      int max = SINGLE.contains(name) ? 1 : 64;
      integer(entry, key + ".instances", 1, max);
      if (entry.containsKey("config") && !(entry.getValue("config") instanceof JsonObject)) {
        throw new ConfException(key + ".config", "an object", entry.getValue("config"));
      }
    }
  }

  private static JsonObject section(JsonObject parent, String key) {
    Object value = parent.getValue(key);
    if (value == null) {
      return new JsonObject();
    }
    if (!(value instanceof JsonObject section)) {
      throw new ConfException(key, "an object", value);
    }
    return section;
  }

  private static void keys(JsonObject section, String prefix, Set<String> allowed) {
    for (String key : section.fieldNames()) {
      if (!allowed.contains(key)) {
        throw new ConfException(prefix + key + ": unknown key (known here: "
          + String.join(", ", allowed.stream().sorted().toList()) + ")");
      }
    }
  }

  private static void integer(JsonObject section, String key, long min, long max) {
    Object value = section.getValue(leaf(key));
    if (value == null) {
      return;
    }
    if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < min
      || ((Number) value).longValue() > max) {
      throw new ConfException(key, "an integer from " + min + " to " + max, value);
    }
  }

  private static void bool(JsonObject section, String key) {
    Object value = section.getValue(leaf(key));
    if (value != null && !(value instanceof Boolean)) {
      throw new ConfException(key, "true or false", value);
    }
  }

  private static String string(JsonObject section, String key, boolean emptyAllowed) {
    Object value = section.getValue(leaf(key));
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s) || (!emptyAllowed && s.isBlank())) {
      throw new ConfException(key, emptyAllowed ? "a string" : "a non-empty string", value);
    }
    return s;
  }

  private static void matches(JsonObject section, String key, Pattern pattern) {
    String value = string(section, key, false);
    if (value != null && !pattern.matcher(value).matches()) {
      throw new ConfException(key, "a name matching " + pattern.pattern(), value);
    }
  }

  private static String leaf(String key) {
    return key.substring(key.lastIndexOf('.') + 1);
  }
}
