package io.hubbub.gateway;

import io.hubbub.ClusterGuard;
import io.hubbub.bus.Bus;
import io.hubbub.bus.StorageBus;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code GET /ready} reports: ready when storage answers and, on a clustered node, the node is an
 * active, trusted cluster member; with the cluster's members and who owns the storage partitions. Each is a
 * vertx-health-checks procedure (run together, each bounded by {@value #TIMEOUT_MS} ms); the answer keeps the
 * protocol's body rather than the library's.
 */
final class Readiness {

  private static final long TIMEOUT_MS = 2_000;
  private static final String STORAGE = "storage";
  private static final String CLUSTER = "cluster";
  private static final String PARTITIONS = "partitions";

  private final Vertx vertx;
  private final int partitions;
  private final String node;
  private final HealthChecks checks;
  private final ClusterGuard cluster;

  Readiness(Vertx vertx, HubbubConf conf) {
    this.vertx = vertx;
    this.cluster = ClusterGuard.of(vertx);
    this.partitions = conf.storage().partitions();
    this.node = conf.cluster().node();
    this.checks = HealthChecks.create(vertx)
      .register(STORAGE, TIMEOUT_MS, this::storage)
      .register(PARTITIONS, TIMEOUT_MS, this::partitions);
    if (cluster.clustered()) {
      checks.register(CLUSTER, TIMEOUT_MS, this::cluster);
    }
  }

  /** {@code {node, cluster?, storage, partitions?, status}}: {@code status} READY or NOT_READY (a 200 or a 503). */
  Future<JsonObject> check() {
    return checks.checkStatus().map(result -> {
      JsonObject body = new JsonObject().put("node", node);
      boolean ready = true;
      for (CheckResult check : result.getChecks()) {
        switch (check.getId()) {
          case STORAGE -> {
            body.put(STORAGE, check.getUp() ? "UP" : "DOWN");
            ready &= check.getUp();
          }
          case CLUSTER -> {
            body.put(CLUSTER, check.getData());
            ready &= check.getUp();
          }
          default -> { // the owners are information: a node is not unready because the map answered late
            if (check.getUp() && !check.getData().isEmpty()) {
              body.put(PARTITIONS, check.getData());
            }
          }
        }
      }
      return body.put("status", ready ? "READY" : "NOT_READY");
    });
  }

  private void storage(Promise<Status> done) {
    Bus.request(vertx.eventBus(), StorageBus.PING, new JsonObject(), TIMEOUT_MS)
      .onComplete(ping -> done.complete(ping.succeeded() ? Status.OK() : Status.KO()));
  }

  private void cluster(Promise<Status> done) {
    JsonObject data = new JsonObject().put("active", cluster.active()).put("members", cluster.members().size())
      .put("quorum", cluster.quorum()).put("trusted", cluster.trusted());
    done.complete(cluster.active() && cluster.trusted() ? Status.OK(data) : Status.KO(data));
  }

  private void partitions(Promise<Status> done) {
    vertx.sharedData().<String, String>getAsyncMap(StorageBus.INSTANCES_MAP)
      .compose(AsyncMap::entries)
      .onComplete(entries -> done.complete(entries.succeeded() ? Status.OK(owners(entries.result())) : Status.OK()));
  }

  private JsonObject owners(Map<String, String> entries) {
    Map<String, JsonArray> byNode = new TreeMap<>();
    int owned = 0;
    Set<String> members = cluster.members();
    for (String value : entries.values()) {
      StorageBus.Instance instance = StorageBus.Instance.parse(value);
      if (cluster.clustered() && !members.contains(instance.member())) {
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
