package io.hubbub.bus;

import io.hubbub.ClusterGuard;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One verticle's requests to storage ({@link StorageBus#route routed} by partition), answered even when the
 * node serving them dies: a request already written to a node that is then dropped from the cluster would
 * otherwise wait for its send timeout, since no reply comes from a dead node. So requests to a partition
 * ({@code append}, {@code read}, {@code meta}) are tracked until answered, the cluster's members are checked
 * every {@value #MEMBERS_CHECK_MS} ms (a local list, no network), and when members leave, the partitions they
 * owned (their last announcement in {@link StorageBus#INSTANCES_MAP}, which outlives them by a few seconds)
 * have their waiting requests failed with 503 at once. Until a live instance announces those partitions and the
 * bus lists no handler of the dead node for them, new requests to them are answered 503 at once too, not sent:
 * for a moment the bus still routes them to the dead node, where a message waits for its timeout. A publisher
 * retries with the same id: the new owner answers the stored event if the dead one had written it. Not clustered,
 * requests go as they are.
 *
 * <p>Made in a verticle's start and used on its event loop: its timer ends with the verticle.
 */
public final class StorageClient implements StorageRequests {

  private static final Logger log = LoggerFactory.getLogger(StorageClient.class);
  static final long MEMBERS_CHECK_MS = 200;
  static final long ORPHAN_MAX_MS = 10_000;
  /**
   * The send timeout of a request to a partition that came back within {@value #ORPHAN_MAX_MS} ms: the bus may still
   * route some of them to the dead node (each node's routing learns of a departed member's handlers in its own
   * time), and such a request is answered 503 after this instead of the whole timeout.
   */
  static final long BACK_TIMEOUT_MS = 1_500;

  private final Vertx vertx;
  private final int partitions;
  private final long timeoutMs;
  private final ClusterGuard cluster;
  private final Map<Integer, Set<Promise<Object>>> waiting = new HashMap<>();
  /** Partitions whose node left, until they are back ({@link #backIfRoutable}) or {@value #ORPHAN_MAX_MS} ms pass: when. */
  private final Map<Integer, Long> orphaned = new HashMap<>();
  /** Partitions back from {@link #orphaned} within {@value #ORPHAN_MAX_MS} ms: when. */
  private final Map<Integer, Long> back = new HashMap<>();
  /** Members that left within {@value #ORPHAN_MAX_MS} ms: when. */
  private final Map<String, Long> departed = new HashMap<>();
  private boolean reading;
  private Set<String> members;

  public StorageClient(Vertx vertx, int partitions, long timeoutMs) {
    this.vertx = vertx;
    this.partitions = partitions;
    this.timeoutMs = timeoutMs;
    this.cluster = ClusterGuard.of(vertx);
    HandOver.register(vertx.eventBus()); // this verticle's appends go so, and their acks come back so
    if (cluster.clustered()) {
      members = cluster.members();
      vertx.setPeriodic(MEMBERS_CHECK_MS, t -> checkMembers());
    }
  }

  @Override
  public Future<Object> request(String address, JsonObject body) {
    return request(address, body, timeoutMs);
  }

  @Override
  public Future<Object> handOver(String address, Object body) {
    return request(address, body, timeoutMs, true);
  }

  public Future<Object> request(String address, JsonObject body, long timeoutMs) {
    return request(address, body, timeoutMs, false);
  }

  private Future<Object> request(String address, Object body, long timeoutMs, boolean handOver) {
    String routed = StorageBus.route(address, body, partitions);
    int partition = StorageBus.partitionOf(routed);
    if (!cluster.clustered() || partition < 0) {
      return send(routed, body, timeoutMs, handOver);
    }
    if (orphaned.containsKey(partition)) {
      // the cluster still routes to the dead node for a moment, and a message it cannot deliver waits for its timeout
      return Future.failedFuture(Failures.unavailable("the storage node serving this stream left the cluster and another "
        + "takes it over: retry in a moment (with the same id, for a publish)"));
    }
    long timeout = back.containsKey(partition) ? Math.min(timeoutMs, BACK_TIMEOUT_MS) : timeoutMs;
    Future<Object> reply = send(routed, body, timeout, handOver);
    Promise<Object> answer = Promise.promise();
    Set<Promise<Object>> promises = waiting.computeIfAbsent(partition, p -> new HashSet<>());
    promises.add(answer);
    reply.onComplete(done -> {
      Set<Promise<Object>> still = waiting.get(partition);
      if (still != null && still.remove(answer) && still.isEmpty()) {
        waiting.remove(partition);
      }
      if (done.succeeded()) {
        answer.tryComplete(done.result());
      } else {
        answer.tryFail(done.cause());
      }
    });
    return answer.future();
  }

  private Future<Object> send(String address, Object body, long timeoutMs, boolean handOver) {
    return handOver ? Bus.handOver(vertx.eventBus(), address, body, timeoutMs)
      : Bus.requestBody(vertx.eventBus(), address, (JsonObject) body, timeoutMs);
  }

  private void checkMembers() {
    if (reading) {
      return;
    }
    long stale = System.currentTimeMillis() - ORPHAN_MAX_MS;
    back.values().removeIf(since -> since < stale);
    Set<String> now = cluster.members();
    Set<String> gone = new HashSet<>(members);
    gone.removeAll(now);
    members = now;
    if (gone.isEmpty() && orphaned.isEmpty()) {
      return;
    }
    reading = true;
    long at = System.currentTimeMillis();
    gone.forEach(member -> departed.put(member, at));
    vertx.sharedData().<String, String>getAsyncMap(StorageBus.INSTANCES_MAP)
      .compose(AsyncMap::entries)
      .compose(entries -> {
        List<StorageBus.Instance> instances = entries.values().stream().map(StorageBus.Instance::parse).toList();
        instances.stream().filter(instance -> gone.contains(instance.member()))
          .forEach(instance -> dropped(instance.node(), instance.partitions()));
        Set<Integer> announced = new HashSet<>();
        instances.stream().filter(instance -> now.contains(instance.member()))
          .forEach(instance -> announced.addAll(instance.partitions()));
        announced.retainAll(orphaned.keySet());
        return Future.join(announced.stream().map(this::backIfRoutable).toList());
      })
      .onFailure(failure -> log.warn("could not tell which partitions a departed node served [error: {}]", failure.toString()))
      .onComplete(done -> {
        orphaned.values().removeIf(since -> since < stale);
        departed.values().removeIf(since -> since < stale);
        reading = false;
      });
  }

  /**
   * A partition a live instance announces is back once the bus no longer lists a departed node's handler for it:
   * every node drops a dead one's registrations from the cluster's shared list in its own time, and until then the
   * bus may still route a request there, where it waits for its timeout.
   */
  private Future<Void> backIfRoutable(int partition) {
    return cluster.registered(StorageBus.APPEND.address() + "." + partition).onSuccess(members -> {
      if (members.stream().noneMatch(departed::containsKey)) {
        orphaned.remove(partition);
        back.put(partition, System.currentTimeMillis());
      }
    }).mapEmpty();
  }

  private void dropped(String node, List<Integer> owned) {
    int failed = 0;
    long now = System.currentTimeMillis();
    for (int partition : owned) {
      orphaned.put(partition, now);
      Set<Promise<Object>> promises = waiting.remove(partition);
      if (promises != null) {
        for (Promise<Object> promise : promises) {
          failed += promise.tryFail(Failures.unavailable("the storage node serving this stream left the cluster; "
            + "retry (with the same id, for a publish)")) ? 1 : 0;
        }
      }
    }
    if (failed > 0) {
      log.info("answered requests to a departed storage node [node: {}, requests: {}]", node, failed);
    }
  }
}
