package io.hubbub.embedded;

import de.bwaldvogel.mongo.backend.KeyValue;
import org.h2.mvstore.WriteBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Index keys come back from a page as they went in, whatever their strings hold: ASCII (written as bytes), other
 * letters, a pair of surrogates, a lone surrogate, a question mark; and a page written before ASCII keys had their
 * own form (every string a char at a time) still reads.
 */
class KeyOrderTest {

  private static final List<String> STRINGS = List.of("", "sensor.fleet-1|0000000000000000042", "é", "a?b",
    "x\uD83D\uDE00y", "lone \uD800 surrogate", "\uDC00", "?", "ünïcödé|7");

  private static KeyValue roundTrip(KeyValue key) {
    KeyOrder type = new KeyOrder();
    WriteBuffer buff = new WriteBuffer();
    type.write(buff, key);
    ByteBuffer bytes = buff.getBuffer();
    bytes.flip();
    KeyValue read = type.read(bytes);
    assertEquals(0, bytes.remaining(), "every byte read");
    return read;
  }

  @Test
  void keysComeBackAsWritten() {
    for (String s : STRINGS) {
      KeyValue key = new KeyValue(new ArrayList<>(Arrays.asList(s, 42L, null, 1.5, true, s + s)));
      assertEquals(key, roundTrip(key), s);
    }
  }

  @Test
  void onlyAsciiStringsTakeTheByteForm() {
    assertArrayEquals("a?b".getBytes(java.nio.charset.StandardCharsets.US_ASCII), KeyOrder.ascii("a?b"));
    assertNull(KeyOrder.ascii("é"));
    assertNull(KeyOrder.ascii("lone \uD800 surrogate"), "UTF-8 would make it a '?'");
    assertNull(KeyOrder.ascii("x\uD83D\uDE00y"));
  }

  @Test
  void aPageWrittenTheOldWayReads() {
    for (String s : STRINGS) {
      WriteBuffer buff = new WriteBuffer();
      buff.putVarInt(2).put((byte) 1).putVarInt(s.length()).putStringData(s, s.length()); // STRING, as it was
      buff.put((byte) 2).putLong(7L);
      ByteBuffer bytes = buff.getBuffer();
      bytes.flip();
      assertEquals(new KeyValue(s, 7L), new KeyOrder().read(bytes), s);
    }
  }
}
