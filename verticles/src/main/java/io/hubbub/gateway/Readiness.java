package io.hubbub.gateway;

import io.hubbub.ClusterGuard;
import io.hubbub.bus.Bus;
import io.hubbub.bus.StorageBus;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.spi.cluster.ClusterManager;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code GET /ready} reports: ready when storage answers and, on a clustered node, the node is an
 * active cluster member; with the cluster's members and who owns the storage partitions.
 */
final class Readiness {

  private static final long TIMEOUT_MS = 2_000;

  private final Vertx vertx;
  private final int partitions;
  private final String node;

  Readiness(Vertx vertx, HubbubConf conf) {
    this.vertx = vertx;
    this.partitions = conf.storage().partitions();
    this.node = conf.cluster().node();
  }

  /** {@code {ready, body}}: the body of the answer, {@code ready} whether it is a 200. */
  Future<JsonObject> check() {
    ClusterManager cluster = ((VertxInternal) vertx).clusterManager();
    JsonObject body = new JsonObject().put("node", node);
    ClusterGuard guard = ClusterGuard.of(vertx);
    if (cluster != null) {
      body.put("cluster", new JsonObject().put("active", cluster.isActive()).put("members", cluster.getNodes().size())
        .put("quorum", guard.quorum()).put("trusted", guard.trusted()));
    }
    Future<Void> storage = Bus.request(vertx.eventBus(), StorageBus.PING, new JsonObject(), TIMEOUT_MS)
      .onSuccess(v -> body.put("storage", "UP"))
      .onFailure(failure -> body.put("storage", "DOWN"))
      .mapEmpty();
    Future<Void> owners = vertx.sharedData().<String, String>getAsyncMap(StorageBus.INSTANCES_MAP)
      .compose(AsyncMap::entries)
      .timeout(TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
      .onSuccess(entries -> body.put("partitions", partitions(entries)))
      .mapEmpty();
    return Future.join(storage, owners).otherwiseEmpty().map(v -> {
      boolean ready = "UP".equals(body.getString("storage")) && (cluster == null || (cluster.isActive() && guard.trusted()));
      return body.put("status", ready ? "READY" : "NOT_READY");
    });
  }

  private JsonObject partitions(Map<String, String> entries) {
    Map<String, JsonArray> byNode = new TreeMap<>();
    int owned = 0;
    ClusterManager cluster = ((VertxInternal) vertx).clusterManager();
    Set<String> members = cluster == null ? null : new HashSet<>(cluster.getNodes());
    for (String value : entries.values()) {
      StorageBus.Instance instance = StorageBus.Instance.parse(value);
      if (members != null && !members.contains(instance.member())) {
        continue; // a storage node that left the cluster: its announcement has not expired yet
      }
      instance.partitions().forEach(byNode.computeIfAbsent(instance.node(), n -> new JsonArray())::add);
      owned += instance.partitions().size();
    }
    JsonArray owners = new JsonArray();
    byNode.forEach((name, list) -> owners.add(new JsonObject().put("node", name).put("partitions", list)));
    return new JsonObject().put("total", partitions).put("owned", owned).put("owners", owners);
  }
}
