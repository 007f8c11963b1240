package io.hubbub.storage;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ids the server makes carry their event's seq, read back only from the exact form it writes. */
class MadeIdsTest {

  @Test
  void anIdCarriesItsSeqAndIsAVersion8UuidWithRandomBits() {
    for (long seq : List.of(1L, 2L, 4_095L, 4_096L, 4_097L, 1L << 32, 123_456_789_012L, MadeIds.MAX_SEQ)) {
      String id = MadeIds.of(seq);
      UUID uuid = UUID.fromString(id);
      assertEquals(8, uuid.version(), id);
      assertEquals(2, uuid.variant(), id);
      assertEquals(id, uuid.toString(), "canonical, lowercase");
      assertTrue(id.matches("[A-Za-z0-9_.:-]{1,64}"), "an id a publisher could give too");
      assertEquals(seq, MadeIds.seqOf(id), id);
      assertNotEquals(id, MadeIds.of(seq), "random bits differ");
    }
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      ids.add(MadeIds.of(7));
    }
    assertEquals(10_000, ids.size());
    assertThrows(IllegalArgumentException.class, () -> MadeIds.of(0));
    assertThrows(IllegalArgumentException.class, () -> MadeIds.of(MadeIds.MAX_SEQ + 1));
  }

  @Test
  void anythingElseCarriesNoSeq() {
    String id = MadeIds.of(42);
    List<String> others = List.of(
      id.toUpperCase(java.util.Locale.ROOT),                    // not the form written
      "0190f3c1-aaaa-7bbb-8ccc-000000000001",                  // version 7, as ids were made before
      UUID.randomUUID().toString(),                            // version 4
      id.substring(0, 19) + "c" + id.substring(20),            // variant 11
      "00000000-0000-8000-8000-000000000000",                  // seq 0
      id + "x", id.substring(1), "order-7f1e", "",
      "1-1-8-1-1",                                             // UUID.fromString takes it; not canonical
      id.replace('-', ':'));
    for (String other : others) {
      assertEquals(-1, MadeIds.seqOf(other), other);
    }
    assertTrue(MadeIds.indexed().matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  }
}
