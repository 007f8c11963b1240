package io.hubbub;

import io.hubbub.audit.AuditVerticle;
import io.hubbub.auth.AuthVerticle;
import io.hubbub.chat.ChatVerticle;
import io.hubbub.conf.HubbubConf;
import io.hubbub.gateway.GatewayVerticle;
import io.hubbub.sensors.SensorsVerticle;
import io.hubbub.storage.StorageVerticle;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One Hubbub node: a Vert.x instance with Prometheus metrics, running the verticles its conf names,
 * in the conf's order, each with its instance count and the conf (its own {@code config} merged over).
 * Stopping undeploys them in reverse order (gateway first: stop accepting; storage last: finish
 * in-flight appends and close the store), then closes Vert.x.
 */
public final class Node {

  private static final Logger log = LoggerFactory.getLogger(Node.class);
  private static final Map<String, Function<HubbubConf, Deployable>> VERTICLES = Map.of(
    "storage", StorageVerticle::new,
    "auth", AuthVerticle::new,
    "chat", ChatVerticle::new,
    "sensors", SensorsVerticle::new,
    "audit", AuditVerticle::new,
    "gateway", GatewayVerticle::new);

  private final Vertx vertx;
  private final List<String> deployments = new ArrayList<>();

  private Node(Vertx vertx) {
    this.vertx = vertx;
  }

  private static final Map<String, AtomicInteger> METER_INSTANCES = new ConcurrentHashMap<>();

  /**
   * A label value for the meters of one verticle instance: {@code 0}, {@code 1}, … in deployment order per
   * kind, the same at every start of the same conf (a random id would make new series at every restart).
   */
  public static String meterInstance(String kind) {
    return Integer.toString(METER_INSTANCES.computeIfAbsent(kind, k -> new AtomicInteger()).getAndIncrement());
  }

  /** The registry Hubbub's own meters go to: the one behind {@code /metrics}, or Micrometer's global one without it. */
  public static MeterRegistry registry() {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    return registry != null ? registry : Metrics.globalRegistry;
  }

  /** A Vert.x instance with the metrics Hubbub exposes on /metrics, not clustered, one event loop a core. */
  public static Vertx newVertx() {
    return builder(options(new HubbubConf.Threads(0))).build();
  }

  /**
   * The Vert.x instance a conf asks for: clustered over Hazelcast ({@link ClusterConfig}) when
   * {@code cluster.enabled}, else local. Joining blocks on Hazelcast; the future completes when joined.
   */
  public static Future<Vertx> newVertx(HubbubConf conf) {
    HubbubConf.Cluster cluster = conf.cluster();
    if (!cluster.enabled()) {
      return Future.succeededFuture(builder(options(conf.threads())).build());
    }
    VertxOptions options = options(conf.threads()).setEventBusOptions(eventBusOptions(cluster.host(), cluster.tls()));
    long started = System.nanoTime();
    com.hazelcast.config.Config hazelcast = ClusterConfig.load(cluster);
    long heartbeatMs = 1_000L * Integer.parseInt(hazelcast.getProperty(ClusterConfig.HEARTBEAT_TIMEOUT) != null
      ? hazelcast.getProperty(ClusterConfig.HEARTBEAT_TIMEOUT) : "60");
    HazelcastClusterManager manager = new ResyncedClusterManager(hazelcast);
    return builder(options)
      .withClusterManager(manager)
      .buildClustered()
      .onSuccess(vertx -> ClusterGuard.install(vertx, manager, cluster.quorum(), heartbeatMs))
      .onSuccess(vertx -> log.info("joined the cluster [name: {}, host: {}, nodes: {}, in: {} ms]", cluster.name(), cluster.host(),
        manager.getNodes().size(), (System.nanoTime() - started) / 1_000_000));
  }

  /**
   * The clustered event bus: with {@code cluster.tls}, mutual TLS — each node presents its certificate and
   * accepts only peers (as server and as client) whose certificate the conf's CA signed, so a process without
   * one can neither send to the nodes nor receive what they send. Peers are known by certificate, not host name.
   */
  static EventBusOptions eventBusOptions(String host, HubbubConf.Tls tls) {
    EventBusOptions options = new EventBusOptions().setHost(host);
    if (tls.enabled()) {
      options.setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.cert()).setKeyPath(tls.key()))
        .setTrustOptions(new PemTrustOptions().addCertPath(tls.ca()))
        .setTrustAll(false)
        .setClientAuth(ClientAuth.REQUIRED);
    }
    return options;
  }

  private static VertxBuilder builder(VertxOptions options) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    return Vertx.builder().with(options).withMetrics(new AddressKindMetrics(new MicrometerMetricsFactory(registry)));
  }

  /** The metrics, and the event loops the conf's {@code threads} asks for. */
  private static VertxOptions options(HubbubConf.Threads threads) {
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
      .setEnabled(true)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
      .addLabels(Label.EB_ADDRESS, Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE);
    return new VertxOptions().setMetricsOptions(metrics).setEventLoopPoolSize(threads.eventLoopsToStart());
  }

  /**
   * The event-bus meters' address label, one value per kind of address: never one per stream, room, gateway,
   * partition or reply (clients choose stream and room names). A few prefix checks ({@link AddressKindMetrics}):
   * vertx-micrometer's own label matches ran a regex per rule on every message (under the fleet benchmark,
   * Micrometer was 12% of the server's CPU samples with them).
   */
  static String addressKind(String address) {
    for (Map.Entry<String, String> folded : FOLDED.entrySet()) {
      if (address.startsWith(folded.getKey())) {
        return folded.getValue();
      }
    }
    if (address.startsWith("__vertx.") || isUuid(address)) {
      return "_reply";
    }
    for (Map.Entry<String, String> op : PARTITIONED.entrySet()) {
      String prefix = op.getKey();
      if (address.startsWith(prefix) && address.length() > prefix.length() && only(address, prefix.length(), "0123456789")) {
        return op.getValue();
      }
    }
    return address;
  }

  /** Prefixes of addresses named by clients or gateways, and the one label value each prefix's addresses get. */
  private static final Map<String, String> FOLDED = Map.of("streams.live.", "streams.live.*", "bridge.live.", "bridge.live.*",
    "chat.presence.", "chat.presence.*", "chat.internal.snapshot.", "chat.internal.snapshot.*");
  /**
   * Partitioned addresses ({@code storage.<op>.<partition>}, {@code sensors.<op>.<partition>}): one series per
   * operation, not per partition.
   */
  private static final Map<String, String> PARTITIONED = Map.of("storage.append.", "storage.append", "storage.read.", "storage.read",
    "storage.meta.", "storage.meta", "sensors.aggregates.", "sensors.aggregates", "sensors.status.", "sensors.status",
    "sensors.purge.", "sensors.purge");

  private static boolean isUuid(String address) {
    return address.length() == 36 && only(address, 0, "0123456789abcdef-");
  }

  /** Whether the text holds only these characters from {@code from} on. */
  private static boolean only(String text, int from, String characters) {
    for (int i = from; i < text.length(); i++) {
      if (characters.indexOf(text.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Deploys the verticles of a JSON conf (see {@link HubbubConf#of}). */
  public static Future<Node> start(Vertx vertx, JsonObject conf) {
    return start(vertx, HubbubConf.of(conf));
  }

  /** Deploys the conf's verticles on {@code vertx}, each handed its own conf; fails (undeploying what started) if one fails. */
  public static Future<Node> start(Vertx vertx, HubbubConf conf) {
    Node node = new Node(vertx);
    Future<Void> chain = Future.succeededFuture();
    for (HubbubConf.Deployment deployment : conf.verticles()) {
      Function<HubbubConf, Deployable> verticle = VERTICLES.get(deployment.name());
      DeploymentOptions options = new DeploymentOptions().setInstances(deployment.instances());
      chain = chain.compose(v -> vertx.deployVerticle(() -> verticle.apply(deployment.conf()), options))
        .map(id -> {
          node.deployments.add(id);
          log.info("deployed [verticle: {}, instances: {}]", deployment.name(), deployment.instances());
          return null;
        });
    }
    return chain.map(node).recover(failure -> node.undeploy().transform(v -> Future.failedFuture(failure)));
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Undeploys in reverse order, then closes Vert.x. */
  public Future<Void> stop() {
    ClusterGuard.of(vertx).close(); // a node that leaves is not "below quorum"
    return undeploy().eventually(vertx::close);
  }

  /** Undeploys the node's verticles in reverse order, leaving Vert.x running. */
  public Future<Void> undeploy() {
    List<String> reversed = new ArrayList<>(deployments);
    Collections.reverse(reversed);
    deployments.clear();
    Future<Void> chain = Future.succeededFuture();
    for (String id : reversed) {
      chain = chain.eventually(() -> vertx.undeploy(id));
    }
    return chain;
  }
}
