package io.hubbub;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guard's decisions over a clock and a member count the test moves. */
class ClusterGuardTest {

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final AtomicInteger members = new AtomicInteger(4);
  private final ClusterGuard guard = new ClusterGuard(3, TimeUnit.SECONDS.toNanos(5), members::get, clock::get);

  private void pass(long ms) {
    clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  @Test
  void aMinorityStopsTrustingItselfAndTrustsAgainOnceBack() {
    guard.tick();
    assertTrue(guard.trusted());
    members.set(2);
    guard.tick();
    assertFalse(guard.trusted(), "2 of a quorum of 3");
    assertTrue(guard.why().contains("fewer than the quorum of 3"), guard.why());
    members.set(3);
    guard.tick();
    assertTrue(guard.trusted());
    assertFalse(guard.dropped().isDone(), "a split is not a drop: it heals");
  }

  @Test
  void aPauseLongerThanTheHeartbeatTimeoutIsADropForGood() {
    guard.tick();
    pass(8_000); // SIGSTOP for 8 s
    assertFalse(guard.trusted(), "refused before the first tick after the pause");
    guard.tick();
    assertTrue(guard.dropped().isDone());
    assertTrue(guard.dropped().join().contains("did not run for 8.0 s"), guard.dropped().join());
    pass(200);
    guard.tick();
    assertFalse(guard.trusted(), "never again: its supervisor starts it afresh");
  }

  @Test
  void shortPausesAndALoneNodeAreNotDrops() {
    guard.tick();
    for (int i = 0; i < 10; i++) {
      pass(1_500); // a long GC pause: shorter than the heartbeat timeout
      guard.tick();
    }
    assertTrue(guard.trusted());
    ClusterGuard alone = new ClusterGuard(1, TimeUnit.SECONDS.toNanos(5), () -> 1, clock::get);
    alone.tick();
    pass(60_000); // a laptop's sleep: nobody to be dropped by
    alone.tick();
    assertFalse(alone.dropped().isDone());
    assertTrue(alone.trusted());
  }
}
