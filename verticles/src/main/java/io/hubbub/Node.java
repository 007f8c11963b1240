package io.hubbub;

import io.hubbub.audit.AuditVerticle;
import io.hubbub.auth.AuthVerticle;
import io.hubbub.chat.ChatVerticle;
import io.hubbub.gateway.GatewayVerticle;
import io.hubbub.sensors.SensorsVerticle;
import io.hubbub.storage.StorageVerticle;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.Match;
import io.vertx.micrometer.MatchType;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One Hubbub node: a Vert.x instance with Prometheus metrics, running the verticles its conf names,
 * in the conf's order, each with its instance count and the conf (its own {@code config} merged over).
 * Stopping undeploys them in reverse order (gateway first: stop accepting; storage last: finish
 * in-flight appends and close the store), then closes Vert.x.
 */
public final class Node {

  private static final Logger log = LoggerFactory.getLogger(Node.class);
  private static final Map<String, Supplier<Deployable>> VERTICLES = Map.of(
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

  /** A Vert.x instance with the metrics Hubbub exposes on /metrics. */
  public static Vertx newVertx() {
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
      .setEnabled(true)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
      .addLabels(Label.EB_ADDRESS, Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE)
      .addLabelMatch(new Match()
        .setDomain(MetricsDomain.EVENT_BUS)
        .setLabel(Label.EB_ADDRESS.toString())
        .setType(MatchType.REGEX)
        .setValue("streams\\.live\\..*")
        .setAlias("streams.live.*"))
      .addLabelMatch(new Match()
        .setDomain(MetricsDomain.EVENT_BUS)
        .setLabel(Label.EB_ADDRESS.toString())
        .setType(MatchType.REGEX)
        .setValue("__vertx\\..*|[0-9a-f-]{36}")
        .setAlias("_reply"));
    return Vertx.builder()
      .with(new VertxOptions().setMetricsOptions(metrics))
      .withMetrics(new MicrometerMetricsFactory())
      .build();
  }

  /** Deploys the conf's verticles on {@code vertx}; fails (undeploying what started) if one fails. */
  public static Future<Node> start(Vertx vertx, JsonObject conf) {
    Node node = new Node(vertx);
    JsonObject shared = conf.copy();
    shared.remove("verticles");
    Future<Void> chain = Future.succeededFuture();
    for (Object o : conf.getJsonArray("verticles", new JsonArray())) {
      JsonObject entry = (JsonObject) o;
      String name = entry.getString("name");
      JsonObject config = shared.copy().mergeIn(entry.getJsonObject("config", new JsonObject()), true);
      DeploymentOptions options = new DeploymentOptions().setInstances(entry.getInteger("instances", 1)).setConfig(config);
      chain = chain.compose(v -> vertx.deployVerticle(VERTICLES.get(name), options))
        .map(id -> {
          node.deployments.add(id);
          log.info("deployed [verticle: {}, instances: {}]", name, options.getInstances());
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
