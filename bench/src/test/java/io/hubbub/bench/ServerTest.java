package io.hubbub.bench;

import org.junit.jupiter.api.Test;

import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ServerTest {

  @Test
  void theServersStopTheWorldPausesAreReadFromItsGcLogAndNothingElseIs() {
    // lines as Java 17's G1 prints them with -Xlog:gc
    assertEquals(OptionalDouble.of(11.119), Server.pauseMs("[49.628s][info][gc] GC(16) Pause Young (Normal) (G1 Evacuation Pause) 259M->44M(380M) 11.119ms"));
    assertEquals(OptionalDouble.of(2.345), Server.pauseMs("[120.004s][info][gc] GC(41) Pause Remark 81M->80M(380M) 2.345ms"));
    assertEquals(OptionalDouble.of(0.120), Server.pauseMs("[121.1s][info][gc] GC(41) Pause Cleanup 80M->80M(380M) 0.120ms"));
    assertEquals(OptionalDouble.of(95.7), Server.pauseMs("[130.5s][info][gc] GC(42) Pause Full (System.gc()) 90M->40M(380M) 95.700ms"));
    // not pauses: the collector's start, a concurrent phase (the application runs meanwhile), the server's own log
    assertEquals(OptionalDouble.empty(), Server.pauseMs("[0.005s][info][gc] Using G1"));
    assertEquals(OptionalDouble.empty(), Server.pauseMs("[120.100s][info][gc] GC(41) Concurrent Mark Cycle 45.123ms"));
    assertEquals(OptionalDouble.empty(), Server.pauseMs("[120.000s][info][gc] GC(40) Pause Young (Concurrent Start) (G1 Humongous Allocation)"));
    assertEquals(OptionalDouble.empty(), Server.pauseMs("12:00:00.000 INFO  [main] i.h.Node - Pause 3ms [gc] GC(1) Pause x 3ms"));
  }
}
