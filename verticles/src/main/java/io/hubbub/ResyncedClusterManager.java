package io.hubbub;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.config.Config;
import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * vertx-hazelcast's cluster manager, whose event-bus routes are read again from the cluster a few seconds after each
 * membership change, and every {@link #PERIOD_MS} ms.
 *
 * <p>A node routes what it sends and publishes by a cache of the registrations of each address it used, which
 * vertx-hazelcast keeps up to date from Hazelcast's entry events on {@code __vertx.subs}. Hazelcast does not promise
 * those events while members come and go, and Vert.x 5 ignores the "registrations lost" signal the cluster manager
 * gives on a member's loss, so a cached route can miss a member for good. Seen in the cluster tests: after an edge was
 * killed and started again and two storage nodes were restarted, the other edge's publishes to
 * {@code chat.internal.gateways} skipped the restarted edge for over a minute while {@code __vertx.subs} named both —
 * the restarted edge's chat never heard that gateway's heartbeats, and its pages showed half a room.
 *
 * <p>A resync asks the cluster manager for the registrations of every address this node's routes hold (every key of
 * {@code __vertx.subs}, and the addresses of the last resync that have none now) and hands each to the event bus as
 * an update, as vertx-hazelcast's own events do. It runs off the event loops, one at a time: one asked for while
 * another runs follows it (and any more asked for meanwhile are that one).
 */
final class ResyncedClusterManager extends HazelcastClusterManager {

  private static final Logger log = LoggerFactory.getLogger(ResyncedClusterManager.class);
  /** The safety net: routes read again this often even without a membership change. */
  private static final long PERIOD_MS = 60_000;
  /** After a membership change: when vertx-hazelcast's cleanup and the members' republished registrations are in. */
  private static final long[] AFTER_CHANGE_MS = {3_000, 15_000};

  private volatile Vertx vertx;
  private volatile RegistrationListener routes;
  private volatile long periodic = -1;
  /** The addresses the last resync updated: one whose registrations are all gone since must be told so. */
  private volatile Set<String> lastAddresses = Set.of();
  /** The last resync asked for (guarded by this). */
  private Future<Integer> last = Future.succeededFuture(0);
  /** A resync waiting for the one running (guarded by this). */
  private Future<Integer> queued;

  ResyncedClusterManager(Config config) {
    super(config);
  }

  @Override
  public void init(Vertx vertx) {
    this.vertx = vertx;
    super.init(vertx);
  }

  @Override
  public void registrationListener(RegistrationListener listener) {
    this.routes = listener;
    super.registrationListener(listener);
  }

  /** The event bus's routes, as the cluster manager updates them. */
  RegistrationListener routes() {
    return routes;
  }

  @Override
  public void join(Completable<Void> promise) {
    Promise<Void> joined = Promise.promise();
    super.join(joined);
    joined.future()
      .onSuccess(v -> periodic = vertx.setPeriodic(PERIOD_MS, t -> resync()))
      .onComplete(promise);
  }

  @Override
  public void leave(Completable<Void> promise) {
    vertx.cancelTimer(periodic);
    super.leave(promise);
  }

  @Override
  public synchronized void memberAdded(MembershipEvent event) {
    super.memberAdded(event);
    afterChange();
  }

  @Override
  public synchronized void memberRemoved(MembershipEvent event) {
    super.memberRemoved(event);
    afterChange();
  }

  private void afterChange() {
    for (long delay : AFTER_CHANGE_MS) {
      vertx.setTimer(delay, t -> resync());
    }
  }

  /** Reads every route this node holds again from the cluster; how many addresses, once each has been handed over. */
  synchronized Future<Integer> resync() {
    if (queued != null) {
      return queued;
    }
    Promise<Void> start = Promise.promise();
    Future<Integer> next = start.future().compose(v -> readRoutes());
    Future<Integer> before = last;
    queued = next;
    last = next;
    before.onComplete(done -> {
      synchronized (this) {
        if (queued == next) {
          queued = null;
        }
      }
      start.complete();
    });
    return next;
  }

  private Future<Integer> readRoutes() {
    RegistrationListener listener = routes;
    if (listener == null || !isActive()) {
      return Future.succeededFuture(0);
    }
    return vertx.<List<String>>executeBlocking(() -> {
      Set<String> addresses = new HashSet<>(getHazelcastInstance().<String, Object>getMultiMap("__vertx.subs").keySet());
      addresses.addAll(lastAddresses);
      addresses.removeIf(address -> !listener.wantsUpdatesFor(address));
      return List.copyOf(addresses);
    }, false).compose(addresses -> {
      // one address after another: a node holding thousands of routes takes one worker thread for a while, never the pool
      Set<String> held = new HashSet<>();
      Future<Void> reads = Future.succeededFuture();
      for (String address : addresses) {
        reads = reads.compose(v -> {
          Promise<List<RegistrationInfo>> read = Promise.promise();
          getRegistrations(address, read);
          return read.future().map(found -> {
            listener.registrationsUpdated(new RegistrationUpdateEvent(address, found));
            if (!found.isEmpty()) {
              held.add(address);
            }
            return (Void) null;
          }).otherwise(failure -> {
            held.add(address); // not known: asked again next time
            return null;
          });
        });
      }
      return reads.map(v -> {
        lastAddresses = held;
        log.debug("event-bus routes read again from the cluster [addresses: {}]", addresses.size());
        return addresses.size();
      });
    }).onFailure(failure -> log.debug("event-bus routes not read again [error: {}]", failure.getMessage()));
  }
}
