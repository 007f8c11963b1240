package io.hubbub.cluster;

import io.hubbub.bus.StorageBus;
import io.hubbub.client.BlockingHttp;
import io.hubbub.client.Response;
import io.hubbub.support.HubbubProcess;
import io.hubbub.support.ProcessFixture;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestStore;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A cluster of real JVMs (the packaged jar) for tests: nodes named {@code storage-*} run storage, auth,
 * audit and sensors; nodes named {@code edge-*} run chat and gateway. All share one store (the test store, a
 * fresh database), a random cluster name and free Hazelcast ports, so they join only each other. Nodes
 * are started, killed and started again by name; closing stops every process it started. HTTP goes
 * through the JDK's client: the tests run step by step on the JUnit thread.
 */
final class TestCluster implements AutoCloseable {

  private final String name = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private final String database = TestStore.freshDatabase();
  private final Map<String, Integer> clusterPorts = new HashMap<>();
  private final Map<String, HubbubProcess> nodes = new ConcurrentHashMap<>();
  private final Map<String, Integer> httpPorts = new ConcurrentHashMap<>();
  private final ProcessFixture fixture;
  /** Per node, its {@code cluster.tls} ({@code {cert, key, ca}}), for clusters whose event bus is mutual TLS. */
  private final Map<String, JsonObject> tls = new HashMap<>();
  private int quorum = 1;

  TestCluster(String... names) throws Exception {
    fixture = new ProcessFixture("hubbub-cluster");
    for (String node : names) {
      try (ServerSocket socket = new ServerSocket(0)) {
        clusterPorts.put(node, socket.getLocalPort());
      }
    }
  }

  Vertx vertx() {
    return fixture.vertx;
  }

  /** Starts (or starts again) a node and waits until it has started. */
  void start(String node) throws Exception {
    boolean edge = node.startsWith("edge");
    JsonObject conf = HubbubProcess.conf();
    TestConf.only(conf, edge ? new String[] {"chat", "gateway"} : new String[] {"storage", "auth", "audit", "sensors"});
    conf.getJsonObject("mongo").put("uri", TestStore.uri()).put("database", database);
    conf.put("cluster", member(clusterPorts.get(node)));
    if (quorum > 1) {
      conf.getJsonObject("cluster").put("quorum", quorum);
    }
    if (tls.containsKey(node)) {
      conf.getJsonObject("cluster").put("tls", tls.get(node));
    }
    HubbubProcess process = fixture.start(node, conf, Map.of("HUBBUB_NODE_NAME", node));
    nodes.put(node, process);
    int port = process.awaitStarted();
    if (edge) {
      httpPorts.put(node, port);
    }
  }

  /** The {@code cluster} section of a member of this cluster whose Hazelcast listens on {@code port}. */
  JsonObject member(int port) {
    return new JsonObject()
      .put("enabled", true)
      .put("name", name)
      .put("host", "127.0.0.1")
      .put("port", port)
      .put("members", new JsonArray(clusterPorts.values().stream().map(p -> (Object) ("127.0.0.1:" + p)).toList()));
  }

  /** Gives {@code node} this {@code cluster.tls} from its next start on. */
  void tls(String node, JsonObject files) {
    tls.put(node, files);
  }

  /** Starts again every node that is not running (one a failed test killed and did not restart); which it started. */
  List<String> restartDead() throws Exception {
    List<String> started = new ArrayList<>();
    for (Map.Entry<String, HubbubProcess> node : nodes.entrySet()) {
      if (!node.getValue().isAlive()) {
        start(node.getKey());
        started.add(node.getKey());
      }
    }
    return started;
  }

  /** Whether a node's process is running (or stopped), not exited. */
  boolean alive(String node) {
    return nodes.get(node).isAlive();
  }

  /** SIGKILL. */
  void kill(String node) throws InterruptedException {
    nodes.get(node).kill();
  }

  /** {@code cluster.quorum} for the nodes started from now on. */
  void quorum(int members) {
    this.quorum = members;
  }

  /** Waits for a node's process to end; its exit code. */
  int awaitExit(String node) throws InterruptedException {
    return nodes.get(node).awaitExit();
  }

  /** The port an edge's MQTT listener took (its last start's). */
  int mqttPort(String edge) {
    List<Integer> ports = nodes.get(edge).loggedPorts("mqtt listening");
    return ports.get(ports.size() - 1);
  }

  /** What a node's process printed so far. */
  List<String> output(String node) {
    return nodes.get(node).output();
  }

  /** SIGSTOP: the node hangs, its connections stay open. */
  void pause(String node) throws Exception {
    nodes.get(node).signal("STOP");
  }

  /** SIGCONT: a paused node goes on. */
  void resume(String node) throws Exception {
    nodes.get(node).signal("CONT");
  }

  /** An edge's HTTP port. */
  int port(String edge) {
    return httpPorts.get(edge);
  }

  /** Storage partitions by owning node, as an edge's /ready reports them. */
  Map<String, Integer> owners(String edge) {
    Map<String, Integer> owners = new HashMap<>();
    partitions(edge).forEach((node, list) -> owners.put(node, list.size()));
    return owners;
  }

  /**
   * Storage partitions by owning node, as an edge's /ready reports them: empty when it does not answer, or answers
   * without {@code partitions} (optional there: left out when the cluster's map did not answer in time).
   */
  Map<String, Set<Integer>> partitions(String edge) {
    Response r = callQuietly(edge, "GET", "/ready", null, null);
    Map<String, Set<Integer>> owners = new HashMap<>();
    JsonObject partitions = r == null || r.status() != 200 ? null : r.json().getJsonObject("partitions");
    if (partitions == null) {
      return owners;
    }
    partitions.getJsonArray("owners").forEach(o -> {
      JsonObject owner = (JsonObject) o;
      Set<Integer> list = new HashSet<>();
      owner.getJsonArray("partitions").forEach(p -> list.add((Integer) p));
      owners.put(owner.getString("node"), list);
    });
    return owners;
  }

  /** A stream name starting with {@code prefix} whose partition {@code node} owns now. */
  String streamOwnedBy(String node, String prefix, String edge) {
    Set<Integer> owned = partitions(edge).getOrDefault(node, Set.of());
    if (owned.isEmpty()) {
      throw new AssertionError(node + " owns no partition");
    }
    for (int i = 0; ; i++) {
      String stream = prefix + "-" + i;
      if (owned.contains(StorageBus.partition(stream, StorageBus.DEFAULT_PARTITIONS))) {
        return stream;
      }
    }
  }

  /** A whole stream, read page by page over HTTP. */
  List<JsonObject> readAll(String edge, String stream, String token) throws Exception {
    List<JsonObject> events = new ArrayList<>();
    long from = 1;
    while (true) {
      JsonObject page = call(edge, "GET", "/api/streams/" + stream + "/events?from=" + from + "&limit=1000", token, null).json();
      JsonArray list = page.getJsonArray("events");
      list.forEach(e -> events.add((JsonObject) e));
      if (list.isEmpty() || page.getLong("next") > page.getLong("lastSeq")) {
        return events;
      }
      from = page.getLong("next");
    }
  }

  Response call(String edge, String method, String path, String bearer, JsonObject body) throws Exception {
    return call(edge, method, path, bearer, body, Map.of());
  }

  Response call(String edge, String method, String path, String bearer, JsonObject body, Map<String, String> headers) throws Exception {
    return new BlockingHttp("127.0.0.1", port(edge), Duration.ofSeconds(15)).send(HttpMethod.valueOf(method), path, bearer, body, headers);
  }

  /**
   * The call's answer once it is {@code expected}, the call repeated while the cluster answers 503 or nothing (a node
   * just restarted still taking its partitions): for a test's set-up, which must not go on with a key or token it did
   * not get. Any other answer fails at once.
   */
  Response callWhenAvailable(String edge, String method, String path, String bearer, JsonObject body, int expected) {
    return callWhenAvailable(edge, method, path, bearer, body, Map.of(), expected);
  }

  /** {@link #callWhenAvailable} with these headers besides (an {@code Idempotency-Key} that makes the retry safe). */
  Response callWhenAvailable(String edge, String method, String path, String bearer, JsonObject body, Map<String, String> headers,
                             int expected) {
    AtomicReference<Response> answer = new AtomicReference<>();
    eventually(method + " " + path + " answered " + expected, () -> {
      Response r = callQuietly(edge, method, path, bearer, body, headers);
      if (r != null && r.status() != 503 && r.status() != expected) {
        throw new AssertionError(method + " " + path + ": " + r.status() + " " + r.text());
      }
      answer.set(r);
      return r != null && r.status() == expected;
    }, 30, () -> answer.get() == null ? "no answer" : answer.get().status() + " " + answer.get().text());
    return answer.get();
  }

  /**
   * A session token of a new {@code user} (password {@code password-<user>}), signed up first (201): through
   * {@link #callWhenAvailable}, so a set-up never goes on without a token it did not get, and a 409 on a retried
   * sign-up (a 503 that hid a write) fails it.
   */
  String signUpAndLogIn(String edge, String user) {
    callWhenAvailable(edge, "POST", "/api/users", null, credentials(user), 201);
    return logIn(edge, user);
  }

  /** A session token of a {@code user} signed up before, as {@link #signUpAndLogIn}. */
  String logIn(String edge, String user) {
    return callWhenAvailable(edge, "POST", "/api/sessions", null, credentials(user), 201).json().getString("token");
  }

  private static JsonObject credentials(String user) {
    return new JsonObject().put("username", user).put("password", "password-" + user);
  }

  /** The call, or null when the connection failed or timed out (a node being killed). */
  Response callQuietly(String edge, String method, String path, String bearer, JsonObject body) {
    return callQuietly(edge, method, path, bearer, body, Map.of());
  }

  private Response callQuietly(String edge, String method, String path, String bearer, JsonObject body, Map<String, String> headers) {
    try {
      return call(edge, method, path, bearer, body, headers);
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * For a failure's message: which nodes the cluster's shared list of registrations names for each address (the list
   * the bus routes by), read through a Hazelcast client, with the members' node names. Joins nothing: a client is
   * not a member.
   */
  String registrations(String... addresses) {
    com.hazelcast.client.config.ClientConfig config = new com.hazelcast.client.config.ClientConfig();
    config.setClusterName(name);
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(5_000);
    clusterPorts.values().forEach(port -> config.getNetworkConfig().addAddress("127.0.0.1:" + port));
    com.hazelcast.core.HazelcastInstance client = com.hazelcast.client.HazelcastClient.newHazelcastClient(config);
    try {
      Map<String, String> names = new HashMap<>();
      for (com.hazelcast.cluster.Member member : client.getCluster().getMembers()) {
        int port = member.getAddress().getPort();
        String node = clusterPorts.entrySet().stream().filter(e -> e.getValue() == port).map(Map.Entry::getKey)
          .findFirst().orElse("port " + port);
        names.put(member.getAttribute("__vertx.nodeId"), node);
      }
      StringBuilder out = new StringBuilder("members " + names.values());
      com.hazelcast.multimap.MultiMap<String, Object> subs = client.getMultiMap("__vertx.subs");
      for (String address : addresses) {
        List<String> nodes = new ArrayList<>();
        for (Object info : subs.get(address)) {
          String node = ((io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo) info).unwrap().nodeId();
          nodes.add(names.getOrDefault(node, "gone " + node));
        }
        out.append("; ").append(address).append(": ").append(nodes);
      }
      return out.toString();
    } catch (RuntimeException e) {
      return "registrations not read: " + e;
    } finally {
      client.shutdown();
    }
  }

  static void eventually(String what, BooleanSupplier condition, int seconds) {
    eventually(what, condition, seconds, () -> "");
  }

  /** As above; a failure also says what {@code seen} gives then. */
  static void eventually(String what, BooleanSupplier condition, int seconds, Supplier<Object> seen) {
    try {
      Awaitility.await(what).atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(100))
        .until(condition::getAsBoolean);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("not within " + seconds + " s: " + what + "; seen: " + seen.get(), e);
    }
  }

  @Override
  public void close() throws Exception {
    fixture.close();
  }
}
