package io.hubbub;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backoff: the ceiling doubles to its maximum, each delay in its upper half, and starts over after a success. */
class BackoffTest {

  @Test
  void doublesUpToTheCeilingWithJitterInTheUpperHalf() {
    Backoff backoff = new Backoff(100, 1_000);
    long[] ceilings = {100, 200, 400, 800, 1_000, 1_000, 1_000};
    for (long ceiling : ceilings) {
      long delay = backoff.next();
      assertTrue(delay >= ceiling / 2 && delay <= ceiling, delay + " not in [" + ceiling / 2 + ", " + ceiling + "]");
    }
  }

  @Test
  void startsOverAfterASuccessAndSpreadsInstancesApart() {
    Backoff backoff = new Backoff(100, 10_000);
    for (int i = 0; i < 40; i++) {
      backoff.next(); // far past any shift that could overflow
    }
    backoff.reset();
    assertTrue(backoff.next() <= 100);
    Set<Long> firstDelays = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      firstDelays.add(new Backoff(1_000, 1_000).next());
    }
    assertTrue(firstDelays.size() > 10, "instances that failed together try again apart: " + firstDelays);
    assertThrows(IllegalArgumentException.class, () -> new Backoff(0, 10));
  }
}
