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
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * {@link KeyOrder} holds a key of one string as the string, and writes and orders it as the {@code KeyValue} of that
 * string was written and ordered: files written before read the same, and their B-trees keep their order.
 */
class KeyOrderTest {

  private final KeyOrder order = new KeyOrder();

  private byte[] written(Object held) {
    WriteBuffer buff = new WriteBuffer();
    order.write(buff, held);
    ByteBuffer bytes = buff.getBuffer();
    bytes.flip();
    byte[] out = new byte[bytes.remaining()];
    bytes.get(out);
    return out;
  }

  private Object read(byte[] bytes) {
    return order.read(ByteBuffer.wrap(bytes));
  }

  @Test
  void aKeyOfOneStringIsHeldAsTheStringAndWrittenAsItsKeyValueWas() {
    KeyValue one = new KeyValue(List.of("s-1|evt-9"));
    Object held = KeyOrder.flat(one);
    assertEquals("s-1|evt-9", held);
    // one value, ASCII tag 8, length 9, the bytes: the format of a KeyValue of one string
    byte[] expected = new byte[] {1, 8, 9, 's', '-', '1', '|', 'e', 'v', 't', '-', '9'};
    assertArrayEquals(expected, written(held));
    assertArrayEquals(expected, written(one));
    assertEquals("s-1|evt-9", read(expected));
    assertEquals(one, KeyOrder.key(read(expected)));

    Object unicode = read(written(KeyOrder.flat(new KeyValue(List.of("é|ü")))));
    assertEquals("é|ü", unicode);
  }

  @Test
  void anyOtherKeyStaysAKeyValue() {
    for (KeyValue key : List.of(new KeyValue(List.of("a", 1L)), new KeyValue(List.of(7)),
        new KeyValue(Arrays.asList((Object) null)), new KeyValue(List.of(true)))) {
      assertSame(key, KeyOrder.flat(key));
      Object back = read(written(key));
      assertInstanceOf(KeyValue.class, back);
      assertEquals(key, back);
    }
  }

  @Test
  void heldStringsOrderAsTheirKeyValuesDid() {
    List<Object> held = new ArrayList<>(List.of("b", "a|2", "a", "a|10", "é", "Z"));
    held.add(new KeyValue(List.of("a", "x")));
    held.add(new KeyValue(List.of("a|2", 1L)));
    held.add(new KeyValue(List.of(3)));
    for (Object x : held) {
      for (Object y : held) {
        int flat = Integer.signum(order.compare(x, y));
        int asKeyValues = Integer.signum(order.compare(KeyOrder.key(x), KeyOrder.key(y)));
        assertEquals(asKeyValues, flat, x + " against " + y);
      }
    }
    assertEquals(0, order.compare("a", new KeyValue(List.of("a"))));
    assertEquals(-1, Integer.signum(order.compare("a", new KeyValue(List.of("a", "x")))));
  }
}
