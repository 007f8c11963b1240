package io.hubbub;

import io.hubbub.bus.StorageBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.Lock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * Which partitions of a verticle kind this instance owns: storage's ({@code hubbub.partition.<n>}, announced in
 * {@link StorageBus#INSTANCES_MAP}) or sensors' ({@code hubbub.sensors.partition.<n>}, in their own map). A
 * partition is owned while its cluster-wide lock (Vert.x shared data: a Hazelcast lock in a cluster, released when
 * its member leaves) is held. Every second the instance announces itself and what it owns in its kind's map
 * (entries live 5 s), then balances: it releases up to {@value #HANDOVERS_PER_ROUND} partitions a round while it
 * holds more than its fair share ({@code ceil(partitions / instances)}) and tries the locks of the partitions
 * nobody announces while it holds less, or of any nobody has announced for two rounds.
 * When a member dies, Hazelcast drops it (at once when its connections close, as on SIGKILL; after 5 s
 * without heartbeat when it hangs), its locks go free, the others stop counting its announcement and
 * claim its partitions in their next round.
 *
 * <p>The lock is not a fence by itself (a paused or cut-off owner may still believe it owns); the
 * unique key of every stored event is: an owner whose write collides gives the partition up
 * ({@link #giveUp}). And an instance whose node is below the cluster's quorum, or was dropped from the cluster
 * after a pause ({@link ClusterGuard}), serves nothing from that moment and gives every partition up in its
 * next round. All state is on its verticle's event loop.
 */
public final class Partitions {

  /** What the verticle does when it gains or loses a partition. */
  public interface Owner {
    /** Starts serving the partition (forget cached seqs, register its consumers). */
    Future<Void> serve(int partition);

    /** Stops serving it: unregister its consumers and finish what is in flight. */
    Future<Void> quit(int partition);

    /** An owner from its two steps. */
    static Owner of(IntFunction<Future<Void>> serve, IntFunction<Future<Void>> quit) {
      return new Owner() {
        @Override
        public Future<Void> serve(int partition) {
          return serve.apply(partition);
        }

        @Override
        public Future<Void> quit(int partition) {
          return quit.apply(partition);
        }
      };
    }
  }

  private static final Logger log = LoggerFactory.getLogger(Partitions.class);
  static final long ROUND_MS = 1_000;
  static final long ANNOUNCE_TTL_MS = 5_000;
  private static final long LOCK_TRY_MS = 20;
  static final int HANDOVERS_PER_ROUND = 8;

  private final Vertx vertx;
  private final String lockPrefix;
  private final String mapName;
  private final int count;
  private final String instance;
  private final String node;
  private final String store;
  private final Owner owner;
  private final ClusterGuard guard;
  private final Map<Integer, Lock> owned = new TreeMap<>();
  private final Set<Integer> changing = new HashSet<>();
  private Set<Integer> unannouncedLastRound = Set.of();
  private AsyncMap<String, String> instances;
  private long timer = -1;
  private boolean running;
  private boolean inRound;
  private String conflict;

  /**
   * @param lockPrefix what the partition number follows in its lock's name
   * @param mapName    the shared map the kind's instances announce themselves in
   * @param store      the store the instance writes to: instances announcing different ones claim nothing
   */
  public Partitions(Vertx vertx, String lockPrefix, String mapName, int count, String instance, String node, String store, Owner owner) {
    this.vertx = vertx;
    this.lockPrefix = lockPrefix;
    this.mapName = mapName;
    this.count = count;
    this.instance = instance;
    this.node = node;
    this.store = store;
    this.owner = owner;
    this.guard = ClusterGuard.of(vertx);
  }

  /** Announces this instance and runs the first round: on a cluster of one it then owns everything. */
  public Future<Void> start() {
    running = true;
    return vertx.sharedData().<String, String>getAsyncMap(mapName)
      .compose(map -> {
        instances = map;
        return round();
      })
      .onSuccess(v -> timer = vertx.setPeriodic(ROUND_MS, t -> round()));
  }

  /** Whether this instance serves the partition now: it holds its lock, and this node is in the cluster's majority. */
  public boolean owns(int partition) {
    return owned.containsKey(partition) && !changing.contains(partition) && guard.trusted();
  }

  public int ownedCount() {
    return owned.size();
  }

  /** Fencing: another writer stored under this partition's keys. Stop serving it at once; claim it again later. */
  public void giveUp(int partition, String why) {
    if (owned.containsKey(partition) && changing.add(partition)) {
      log.warn("giving up partition [partition: {}, reason: {}]", partition, why);
      release(partition).onComplete(done -> changing.remove(partition));
    }
  }

  /** Releases every partition (their writes finished) and withdraws the announcement. */
  public Future<Void> stop() {
    running = false;
    vertx.cancelTimer(timer);
    List<Future<Void>> released = new ArrayList<>();
    for (int partition : new ArrayList<>(owned.keySet())) {
      released.add(release(partition));
    }
    return Future.join(released)
      .eventually(() -> instances == null ? Future.succeededFuture() : instances.remove(instance))
      .mapEmpty();
  }

  private Future<Void> round() {
    if (!running || inRound) {
      return Future.succeededFuture();
    }
    inRound = true;
    int before = owned.size();
    if (!guard.trusted()) {
      // a minority (or a node that was dropped) owns nothing: give everything up, claim nothing, announce nothing
      List<Integer> all = new ArrayList<>(owned.keySet());
      if (!all.isEmpty()) {
        log.warn("releasing every partition: {} [partitions: {}]", guard.why(), all.size());
      }
      return Future.join(all.stream().map(this::release).toList()).<Void>mapEmpty()
        .eventually(() -> {
          inRound = false;
          return Future.succeededFuture();
        }).otherwiseEmpty();
    }
    return announce()
      .compose(v -> instances.entries())
      .compose(this::balance)
      // what changed is told at once, not next round: requesters hold back from a dead node's partitions until then
      .compose(v -> owned.size() != before ? announce() : Future.succeededFuture())
      .onFailure(failure -> log.warn("partition round failed [error: {}]", failure.toString()))
      .eventually(() -> {
        inRound = false;
        if (owned.size() != before) {
          log.info("owning partitions [count: {}, of: {}, partitions: {}, locks: {}*]", owned.size(), count, owned.keySet(), lockPrefix);
        }
        return Future.succeededFuture();
      })
      .otherwiseEmpty();
  }

  private Future<Void> announce() {
    String me = StorageBus.instance(node, ClusterGuard.of(vertx).memberId(), store, owned.keySet()).encode();
    return instances.put(instance, me, ANNOUNCE_TTL_MS);
  }

  private Future<Void> balance(Map<String, String> entries) {
    Set<Integer> announced = new HashSet<>(owned.keySet());
    Set<String> members = members();
    int live = 0;
    for (String entry : entries.values()) {
      StorageBus.Instance other = StorageBus.Instance.parse(entry);
      if (members != null && !members.contains(other.member())) {
        continue; // its member left the cluster: its locks are free, its entry not expired yet
      }
      live++;
      if (!store.equals(other.store())) {
        if (!other.store().equals(conflict)) {
          conflict = other.store();
          log.error("storage instances use different stores: claiming nothing until they agree "
            + "[this: {}, node {}: {}]", store, other.node(), conflict);
        }
        return Future.succeededFuture();
      }
      announced.addAll(other.partitions());
    }
    conflict = null;
    live = Math.max(live, 1);
    int fair = (count + live - 1) / live;
    Set<Integer> unannounced = new HashSet<>();
    for (int p = 0; p < count; p++) {
      if (!announced.contains(p)) {
        unannounced.add(p);
      }
    }
    Set<Integer> orphans = new HashSet<>(unannounced);
    orphans.retainAll(unannouncedLastRound);
    unannouncedLastRound = unannounced;
    if (owned.size() > fair && live > 1) {
      List<Integer> surplus = new ArrayList<>(owned.keySet()).subList(0, Math.min(owned.size() - fair, HANDOVERS_PER_ROUND));
      log.info("handing over partitions [partitions: {}, owned: {}, fair share: {}]", surplus, owned.size(), fair);
      return Future.join(surplus.stream().map(this::release).toList()).mapEmpty();
    }
    List<Integer> candidates = new ArrayList<>(unannounced);
    Collections.shuffle(candidates);
    return claim(candidates, fair, orphans);
  }

  /** The cluster's members now, or null when not clustered. */
  private Set<String> members() {
    ClusterGuard cluster = ClusterGuard.of(vertx);
    return cluster.clustered() ? cluster.members() : null;
  }

  /** Tries the candidates' locks one at a time, while under the fair share (or for orphans, always). */
  private Future<Void> claim(List<Integer> candidates, int fair, Set<Integer> orphans) {
    if (candidates.isEmpty() || !running) {
      return Future.succeededFuture();
    }
    int partition = candidates.remove(candidates.size() - 1);
    if (owned.containsKey(partition) || (owned.size() >= fair && !orphans.contains(partition))) {
      return claim(candidates, fair, orphans);
    }
    return vertx.sharedData().getLockWithTimeout(lockPrefix + partition, LOCK_TRY_MS)
      .compose(lock -> {
        if (!running) {
          lock.release();
          return Future.succeededFuture();
        }
        owned.put(partition, lock);
        changing.add(partition);
        return owner.serve(partition)
          .onSuccess(v -> log.debug("claimed partition [partition: {}, owned: {}]", partition, owned.size()))
          .recover(failure -> {
            log.warn("could not serve partition [partition: {}, error: {}]", partition, failure.toString());
            owned.remove(partition);
            lock.release();
            return Future.succeededFuture();
          })
          .eventually(() -> {
            changing.remove(partition);
            return Future.succeededFuture();
          });
      }, failure -> Future.succeededFuture()) // held elsewhere: someone owns it
      .compose(v -> claim(candidates, fair, orphans));
  }

  private Future<Void> release(int partition) {
    Lock lock = owned.get(partition);
    if (lock == null) {
      return Future.succeededFuture();
    }
    changing.add(partition);
    return owner.quit(partition)
      .otherwiseEmpty()
      .onComplete(done -> {
        owned.remove(partition);
        changing.remove(partition);
        lock.release();
        log.debug("released partition [partition: {}, owned: {}]", partition, owned.size());
      })
      .mapEmpty();
  }
}
