package io.hubbub;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * Whether this node may act as part of the cluster: what storage asks before it serves or claims a partition.
 * Two things make it stop trusting itself:
 * <ul>
 *   <li><b>Below quorum</b> ({@code cluster.quorum}, default 1: off): fewer members than that in its view of
 *   the cluster, the side of a split that must not own anything. It trusts itself again once back.</li>
 *   <li><b>Dropped</b>: the process did not run for longer than the cluster's heartbeat timeout (SIGSTOP, a
 *   stop-the-world pause, a suspended VM) while it had peers. The others have dropped it by then and taken
 *   over its partitions; Hazelcast would have it form a cluster of its own, whose locks prove nothing. It
 *   never trusts itself again: {@link #dropped()} completes, and {@link Main} exits (code 3) so that its
 *   supervisor starts it afresh, into the cluster.</li>
 * </ul>
 * Time is watched from a thread of its own (not an event loop, whose blocking would not stop Hazelcast's
 * heartbeats), ticking every {@value #TICK_MS} ms; a request that comes in before the first tick after a
 * pause is refused too, since the last tick is too old. One guard per Vert.x instance, in its local shared data.
 */
public final class ClusterGuard implements Shareable {

  private static final Logger log = LoggerFactory.getLogger(ClusterGuard.class);
  static final long TICK_MS = 200;
  private static final String MAP = "hubbub.node";
  private static final String KEY = "guard";
  /** The guard of a node that is not clustered: always trusted. */
  private static final ClusterGuard ALONE = new ClusterGuard(1, Long.MAX_VALUE / 4, () -> 1, System::nanoTime);

  /** Hazelcast's view of the cluster, as Node built it; null for the unit tests' guards and a node alone. */
  private final ClusterManager cluster;

  private final int quorum;
  private final long heartbeatNs;
  private final IntSupplier members;
  private final LongSupplier clock;
  private final CompletableFuture<String> dropped = new CompletableFuture<>();
  private volatile long lastTick;
  private volatile boolean quorate;
  private volatile int lastMembers;
  private volatile boolean closed;

  ClusterGuard(int quorum, long heartbeatNs, IntSupplier members, LongSupplier clock) {
    this(null, quorum, heartbeatNs, members, clock);
  }

  private ClusterGuard(ClusterManager cluster, int quorum, long heartbeatNs, IntSupplier members, LongSupplier clock) {
    this.cluster = cluster;
    this.quorum = quorum;
    this.heartbeatNs = heartbeatNs;
    this.members = members;
    this.clock = clock;
    this.lastTick = clock.getAsLong();
    this.lastMembers = members.getAsInt();
    this.quorate = lastMembers >= quorum;
  }

  /** Starts the guard of a clustered Vert.x instance. */
  static ClusterGuard install(Vertx vertx, ClusterManager cluster, int quorum, long heartbeatMs) {
    ClusterGuard guard = new ClusterGuard(cluster, quorum, TimeUnit.MILLISECONDS.toNanos(heartbeatMs), () -> cluster.getNodes().size(),
      System::nanoTime);
    vertx.sharedData().<String, ClusterGuard>getLocalMap(MAP).put(KEY, guard);
    Thread ticker = new Thread(() -> {
      while (!guard.closed) {
        try {
          guard.tick();
        } catch (HazelcastInstanceNotActiveException e) {
          return; // Vert.x is closing: Hazelcast has left before the guard was told
        }
        try {
          Thread.sleep(TICK_MS);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "hubbub-cluster-guard");
    ticker.setDaemon(true);
    ticker.start();
    log.info("cluster guard [quorum: {}, members: {}, heartbeat timeout: {} ms]{}", quorum, guard.lastMembers, heartbeatMs,
      guard.quorate ? "" : ": serving no storage partitions until the quorum is reached");
    return guard;
  }

  /** The guard of this Vert.x instance; for one that is not clustered, one that always trusts. */
  public static ClusterGuard of(Vertx vertx) {
    LocalMap<String, ClusterGuard> map = vertx.sharedData().getLocalMap(MAP);
    ClusterGuard guard = map.get(KEY);
    return guard != null ? guard : ALONE;
  }

  /** One look at the clock and the members. */
  void tick() {
    long now = clock.getAsLong();
    int count = members.getAsInt();
    long stalled = now - lastTick;
    if (stalled > heartbeatNs && lastMembers > 1 && !dropped.isDone()) {
      String reason = String.format(Locale.ROOT, "this node did not run for %.1f s, longer than the cluster's %d s heartbeat "
        + "timeout, so the others have dropped it and taken over its work", stalled / 1e9, TimeUnit.NANOSECONDS.toSeconds(heartbeatNs));
      log.error("dropped from the cluster: {}", reason);
      dropped.complete(reason);
    }
    lastTick = now;
    boolean enough = count >= quorum;
    if (enough != quorate) {
      if (enough) {
        log.info("back in the cluster's majority [members: {}, quorum: {}]", count, quorum);
      } else {
        log.warn("below the cluster's quorum, serving no storage partitions until back [members: {}, quorum: {}]", count, quorum);
      }
      quorate = enough;
    }
    lastMembers = count;
  }

  /** Whether this node may serve and claim storage partitions now. */
  public boolean trusted() {
    return !dropped.isDone() && quorate && clock.getAsLong() - lastTick <= heartbeatNs;
  }

  /** Why it is not trusted, for a 503. */
  public String why() {
    if (dropped.isDone()) {
      return "this node was dropped from the cluster and is leaving it";
    }
    if (!quorate) {
      return "this node sees " + lastMembers + " cluster members, fewer than the quorum of " + quorum;
    }
    return "this node has just resumed from a pause";
  }

  /** Whether this node is a cluster member (of a clustered Vert.x). */
  public boolean clustered() {
    return cluster != null;
  }

  /** The ids of the cluster's members now, this node's included; empty for a node alone. */
  public Set<String> members() {
    return cluster == null ? Set.of() : new HashSet<>(cluster.getNodes());
  }

  /**
   * The members with a handler registered at an address, as the cluster's shared list of registrations holds them
   * (what the bus routes by; a departed member's stay there until the survivors drop them). Empty for a node alone.
   */
  public Future<Set<String>> registered(String address) {
    if (cluster == null) {
      return Future.succeededFuture(Set.of());
    }
    Promise<List<RegistrationInfo>> found = Promise.promise();
    cluster.getRegistrations(address, found);
    return found.future().map(list -> list.stream().map(RegistrationInfo::nodeId).collect(Collectors.toSet()));
  }

  /** This node's member id; null for a node alone. */
  public String memberId() {
    return cluster == null ? null : cluster.getNodeId();
  }

  /** The Hazelcast instance this node runs, for cluster-wide data Vert.x's shared data cannot express; null for a node alone. */
  public HazelcastInstance hazelcast() {
    return cluster instanceof HazelcastClusterManager hazelcast ? hazelcast.getHazelcastInstance() : null;
  }

  /** Whether Hazelcast counts this node a live member (true for a node alone). */
  public boolean active() {
    return cluster == null || cluster.isActive();
  }

  public int quorum() {
    return quorum;
  }

  /** Completes, with the reason, when this node learns it was dropped from the cluster. */
  public CompletableFuture<String> dropped() {
    return dropped;
  }

  void close() {
    closed = true;
  }
}
