package io.hubbub.embedded;

import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.ObjectId;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.ObjectDataType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Documents' ids come back from a page as they went in (ASCII strings in their own form, anything else as H2's
 * {@code ObjectDataType} writes it) and are ordered exactly as that type orders them, which keyed these maps before.
 */
class DocumentIdsTest {

  private static final List<Object> IDS = List.of("sensor.fleet-1|0000000000000000042", "", "é", "a?b",
    "lone \uD800", "x\uD83D\uDE00y", 42L, 7, 1.5, -0.0, new ObjectId(), "fleet-12", "fleet-2", 3L);

  @Test
  void idsComeBackAsWritten() {
    DocumentIds type = new DocumentIds();
    for (Object id : IDS) {
      WriteBuffer buff = new WriteBuffer();
      type.write(buff, id);
      ByteBuffer bytes = buff.getBuffer();
      bytes.flip();
      assertEquals(id, type.read(bytes), "" + id);
      assertEquals(0, bytes.remaining());
    }
    WriteBuffer buff = new WriteBuffer();
    type.write(buff, Missing.getInstance()); // a document without an id is kept under Missing
    ByteBuffer bytes = buff.getBuffer();
    bytes.flip();
    assertSame(Missing.class, type.read(bytes).getClass());
  }

  @Test
  void orderedAsH2OrdersThem() {
    DocumentIds type = new DocumentIds();
    ObjectDataType h2 = new ObjectDataType();
    for (Object a : IDS) {
      for (Object b : IDS) {
        assertEquals(Integer.signum(h2.compare(a, b)), Integer.signum(type.compare(a, b)), a + " against " + b);
      }
    }
  }
}
