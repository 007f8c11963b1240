package io.hubbub.conf;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node's conf, read once: one small immutable record per section, each value present (the schema's defaults
 * fill in what the file leaves out). Each verticle is handed the one of its deployment: the conf with that
 * verticle's own {@code config} merged over it.
 */
public record HubbubConf(Http http, Mqtt mqtt, Mongo mongo, List<String> admins, Limits limits, Auth auth, Storage storage,
                         Chat chat, Sensors sensors, Audit audit, Map<String, Access> namespaces, Cluster cluster,
                         Threads threads, List<Deployment> verticles) {

  /**
   * The conf a checked JSON conf holds (defaults filled in here if they are not yet); each of its verticles gets the
   * conf with its own {@code config} merged over, and a node without a name gets the JVM's {@code <pid>@<host>}.
   */
  public static HubbubConf of(JsonObject json) {
    JsonObject shared = json.copy();
    JsonArray entries = (JsonArray) shared.remove("verticles");
    JsonObject cluster = shared.getJsonObject("cluster") == null ? new JsonObject() : shared.getJsonObject("cluster");
    shared.put("cluster", cluster.put("node", cluster.getString("node", ManagementFactory.getRuntimeMXBean().getName())));
    List<Deployment> verticles = new ArrayList<>();
    for (Object o : entries == null ? new JsonArray() : entries) {
      JsonObject entry = (JsonObject) o;
      JsonObject own = entry.getJsonObject("config", new JsonObject());
      verticles.add(new Deployment(entry.getString("name"), entry.getInteger("instances", 1),
        section(shared.copy().mergeIn(own, true), List.of())));
    }
    return section(shared, verticles);
  }

  private static HubbubConf section(JsonObject json, List<Deployment> verticles) {
    JsonObject c = ConfSchema.withDefaults(json);
    Map<String, Access> namespaces = new LinkedHashMap<>();
    c.getJsonObject("namespaces").forEach(e -> namespaces.put(e.getKey(), Access.of((JsonObject) e.getValue())));
    return new HubbubConf(Http.of(c.getJsonObject("http")), Mqtt.of(c.getJsonObject("mqtt")), Mongo.of(c.getJsonObject("mongo")), strings(c.getJsonArray("admins")),
      Limits.of(c.getJsonObject("limits")), Auth.of(c.getJsonObject("auth")), Storage.of(c.getJsonObject("storage")),
      Chat.of(c.getJsonObject("chat")), Sensors.of(c.getJsonObject("sensors")), Audit.of(c.getJsonObject("audit")),
      Map.copyOf(namespaces), Cluster.of(c.getJsonObject("cluster")), Threads.of(c.getJsonObject("threads")),
      List.copyOf(verticles));
  }

  /** Whether this node runs the verticle of that name. */
  public boolean runs(String verticle) {
    return verticles.stream().anyMatch(d -> d.name().equals(verticle));
  }

  /** One of {@code verticles}: its name, how many instances, and the conf it is deployed with (its own verticles empty). */
  public record Deployment(String name, int instances, HubbubConf conf) {
  }

  /** The first admin: created on first start. */
  public String firstAdmin() {
    return admins.get(0);
  }

  /** {@code http}. */
  public record Http(String host, int port, int maxBodyBytes, boolean websocketCompression, int idleTimeoutSeconds,
                     int requestTimeoutSeconds, boolean adminMetrics, Tls tls, List<String> corsOrigins) {
    static Http of(JsonObject j) {
      List<String> origins = j.getJsonObject("cors", new JsonObject()).getJsonArray("origins", new JsonArray()).stream()
        .map(String.class::cast).toList();
      return new Http(j.getString("host"), j.getInteger("port"), j.getInteger("maxBodyBytes"), j.getBoolean("websocketCompression"),
        j.getInteger("idleTimeoutSeconds"), j.getInteger("requestTimeoutSeconds"), "admin".equals(j.getString("metrics")),
        Tls.of(j.getJsonObject("tls")), origins);
    }
  }

  /**
   * {@code threads}: how many event loops the node's verticles share, 0 for one per core. Vert.x's own default is two
   * per core, room for code that blocks now and then; Hubbub's never does (blocking work goes to worker threads), and a
   * second loop a core only adds hand-offs between threads: on two cores, 64 publishers' appends took a sixth less CPU
   * an event with one loop a core than with two ({@code bench/README.md}, "Event loops").
   */
  public record Threads(int eventLoops) {
    static Threads of(JsonObject j) {
      return new Threads(j.getInteger("eventLoops"));
    }

    /** The event loops to start: as set, or one per core. */
    public int eventLoopsToStart() {
      return eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors();
    }
  }

  /** {@code mqtt}: the gateway's MQTT listener for devices. */
  public record Mqtt(boolean enabled, int port, int maxPayloadBytes) {
    static Mqtt of(JsonObject j) {
      return new Mqtt(j.getBoolean("enabled"), j.getInteger("port"), j.getInteger("maxPayloadBytes"));
    }
  }

  /** A TLS section's PEM files; {@link #NONE} when the conf has none. */
  public record Tls(String cert, String key, String ca) {
    public static final Tls NONE = new Tls(null, null, null);

    static Tls of(JsonObject j) {
      return j == null ? NONE : new Tls(j.getString("cert"), j.getString("key"), j.getString("ca"));
    }

    public boolean enabled() {
      return cert != null;
    }
  }

  /** {@code mongo}; {@code uri} empty means the embedded store; {@code credentialsFile} may be null. */
  public record Mongo(String uri, String database, String dataDir, long timeoutMs, String embeddedHost, int embeddedPort,
                      String credentialsFile) {
    static Mongo of(JsonObject j) {
      return new Mongo(j.getString("uri"), j.getString("database"), j.getString("dataDir"), j.getLong("timeoutMs"),
        j.getString("embeddedHost"), j.getInteger("embeddedPort"), j.getString("credentialsFile"));
    }

    public boolean embedded() {
      return uri.isEmpty();
    }

    /**
     * How long a verticle waits for storage's answer on the bus: the store's own timeout and a second more, so
     * that storage's 503 for a slow store arrives before the caller gives up on the bus.
     */
    public long busTimeoutMs() {
      return timeoutMs + 1_000;
    }
  }

  /** {@code limits}. */
  public record Limits(int maxDataBytes, int maxBatch, long liveQueueBytes, long maxReadBytes, int readsInFlight,
                       int liveStreams) {
    static Limits of(JsonObject j) {
      return new Limits(j.getInteger("maxDataBytes"), j.getInteger("maxBatch"), j.getLong("liveQueueBytes"),
        j.getLong("maxReadBytes"), j.getInteger("readsInFlight"), j.getInteger("liveStreams"));
    }
  }

  /** {@code auth}; {@code adminPassword} may be null (a random one is made and logged). */
  public record Auth(long sessionTtlSeconds, int passwordIterations, String adminPassword, int hashThreads, Window throttle) {
    static Auth of(JsonObject j) {
      JsonObject t = j.getJsonObject("throttle");
      return new Auth(j.getLong("sessionTtlSeconds"), j.getInteger("passwordIterations"), j.getString("adminPassword"),
        j.getInteger("hashThreads"), new Window(t.getInteger("perUser"), t.getInteger("perAddress"), t.getInteger("perSeconds")));
    }

    /** {@code auth.throttle}: tries one user name, and one address, may make per window. */
    public record Window(int perUser, int perAddress, int perSeconds) {
    }
  }

  /** {@code storage}. */
  public record Storage(int maxBatchEvents, int maxWritesInFlight, int seqCacheStreams, int poolSize, int partitions,
                        int retentionSweepSeconds, int readAhead, List<String> collections) {
    static Storage of(JsonObject j) {
      return new Storage(j.getInteger("maxBatchEvents"), j.getInteger("maxWritesInFlight"),
        j.getInteger("seqCacheStreams"), j.getInteger("poolSize"), j.getInteger("partitions"),
        j.getInteger("retentionSweepSeconds"), j.getInteger("readAhead"), strings(j.getJsonArray("collections")));
    }
  }

  /** {@code chat}. */
  public record Chat(int maxTextLength, int typingSeconds, int rateMessages, int ratePerSeconds, int presenceMaxListed,
                     int presenceCoalesceMs) {
    static Chat of(JsonObject j) {
      JsonObject rate = j.getJsonObject("rateLimit");
      JsonObject presence = j.getJsonObject("presence");
      return new Chat(j.getInteger("maxTextLength"), j.getInteger("typingSeconds"), rate.getInteger("messages"),
        rate.getInteger("perSeconds"), presence.getInteger("maxListed"), presence.getInteger("coalesceMs"));
    }
  }

  /** {@code sensors}. */
  public record Sensors(List<AlertRule> alerts, SensorRetention retention, long foldMs) {
    static Sensors of(JsonObject j) {
      JsonObject r = j.getJsonObject("retention");
      return new Sensors(j.getJsonArray("alerts").stream().map(JsonObject.class::cast)
        .map(a -> new AlertRule(a.getString("kind"), a.getDouble("above"), a.getDouble("below"), a.getInteger("forSeconds"),
          a.getDouble("hysteresis")))
        .toList(),
        new SensorRetention(r.getLong("minuteSeconds"), r.getLong("hourSeconds"), r.getInteger("sweepSeconds")),
        j.getLong("foldMs"));
    }
  }

  /** {@code sensors.retention}: how long each window's aggregates are kept, and how often they are swept. */
  public record SensorRetention(long minuteSeconds, long hourSeconds, int sweepSeconds) {

    /** Keeps everything: for tests of the fold itself. */
    public static final SensorRetention FOREVER = new SensorRetention(Long.MAX_VALUE / 2_000, Long.MAX_VALUE / 2_000, 86_400);

    /** How long a window's aggregates are kept, in ms ({@code 1m} or {@code 1h}). */
    public long keepMs(String window) {
      return ("1m".equals(window) ? minuteSeconds : hourSeconds) * 1_000L;
    }
  }

  /** One of {@code sensors.alerts}: exactly one of {@code above} and {@code below} is set. */
  public record AlertRule(String kind, Double above, Double below, int forSeconds, double hysteresis) {
  }

  /** {@code audit.access}: refusals the access trail keeps per remote address and in all, per window. */
  public record Audit(int perRemote, int total, int perSeconds) {
    static Audit of(JsonObject j) {
      JsonObject a = j.getJsonObject("access");
      return new Audit(a.getInteger("perRemote"), a.getInteger("total"), a.getInteger("perSeconds"));
    }
  }

  /** One of {@code namespaces}: who may publish to and read its streams, and how long they keep events. */
  public record Access(String publish, String read, Retention retention) {
    static Access of(JsonObject j) {
      return new Access(j.getString("publish"), j.getString("read"), Retention.of(j.getJsonObject("retention")));
    }
  }

  /** A namespace's {@code retention}; 0 means no bound of that kind ({@link #NONE}: keep everything). */
  public record Retention(long maxAgeSeconds, long maxEvents) {

    public static final Retention NONE = new Retention(0, 0);

    static Retention of(JsonObject j) {
      return j == null ? NONE : new Retention(j.getLong("maxAgeSeconds", 0L), j.getLong("maxEvents", 0L));
    }

    public boolean bounded() {
      return maxAgeSeconds > 0 || maxEvents > 0;
    }
  }

  /** {@code cluster}; {@code members} empty means this node alone; {@code node} is always set. */
  public record Cluster(boolean enabled, String name, String host, int port, List<String> members, String node, int quorum,
                        Tls tls) {
    static Cluster of(JsonObject j) {
      return new Cluster(j.getBoolean("enabled"), j.getString("name"), j.getString("host"), j.getInteger("port"),
        j.containsKey("members") ? strings(j.getJsonArray("members")) : List.of(), j.getString("node"),
        j.getInteger("quorum"), Tls.of(j.getJsonObject("tls")));
    }
  }

  private static List<String> strings(JsonArray array) {
    return array.stream().map(String.class::cast).toList();
  }
}
