package io.hubbub.gateway;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.hubbub.gateway.Backlog.Admit.PAUSED;
import static io.hubbub.gateway.Backlog.Admit.SEND;
import static io.hubbub.gateway.Backlog.Admit.SKIP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Slow-consumer accounting of one socket: when live delivery pauses, what it reports, when it goes on. */
class BacklogTest {

  private final Backlog backlog = new Backlog(1_000);

  @Test
  void pausesPastTheBoundAndGoesOnAtHalf() {
    assertEquals(SEND, backlog.admit(400));
    assertEquals(SEND, backlog.admit(400));
    assertEquals(PAUSED, backlog.admit(400), "would make 1200 queued");
    assertEquals(SKIP, backlog.admit(1));
    assertEquals(800, backlog.queued(), "skipped frames are not queued anywhere");
    assertEquals(Map.of(), backlog.written(200), "600 queued: not yet half");
    assertTrue(backlog.paused());
    backlog.written(100);
    assertFalse(backlog.paused(), "500 queued: half the bound");
    assertEquals(SEND, backlog.admit(400));
  }

  @Test
  void oneFrameAlwaysGoesEvenPastTheBound() {
    assertEquals(SEND, backlog.admit(5_000));
    assertEquals(PAUSED, backlog.admit(1));
  }

  @Test
  void eachStreamIsToldOnceWhereItStoppedAndAgainWhenDeliveryGoesOn() {
    backlog.admit(900);
    backlog.admit(200);
    assertEquals(41, backlog.skip("a", 41, 42), "sockets not paused got up to 41");
    assertEquals(-1, backlog.skip("a", 42, 43), "told once per pause");
    assertEquals(6, backlog.skip("b", 0, 7), "the stream's first event here: everything before it");
    assertEquals(9, backlog.skip("c", 12, 10), "an out-of-order previous does not count");
    backlog.forget("c");
    assertEquals(Map.of("a", 41L, "b", 6L), backlog.written(900));
    assertEquals(Map.of(), backlog.written(0), "told once");
    backlog.admit(900);
    backlog.admit(200);
    assertEquals(50, backlog.skip("a", 50, 51), "a new pause tells again");
  }
}
