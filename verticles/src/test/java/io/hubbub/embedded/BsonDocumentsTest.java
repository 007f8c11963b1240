package io.hubbub.embedded;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.h2.mvstore.WriteBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The collections' value type: BSON bytes, in the format pages held when they kept decoded documents. */
class BsonDocumentsTest {

  private static Document sample() {
    return new Document("_id", "sensor.dev-1|7").append("seq", 7L).append("type", "READING")
      .append("data", new Document("kind", "temperature").append("value", 21.5).append("at", "2026-12-02T08:00:00Z"))
      .append("tags", List.of("a", 2, new Document("b", true)));
  }

  @Test
  void aDocumentComesBackAsItWent() {
    BsonDocuments type = new BsonDocuments();
    WriteBuffer buffer = new WriteBuffer();
    type.write(buffer, BsonDocuments.encode(sample()));
    type.write(buffer, BsonDocuments.encode(new Document()));
    ByteBuffer written = buffer.getBuffer().flip();
    assertThat(BsonDocuments.decode(type.read(written))).isEqualTo(sample());
    assertThat(BsonDocuments.decode(type.read(written))).isEqualTo(new Document());
    assertThat(written.hasRemaining()).isFalse();
  }

  @Test
  void pagesWrittenWhenTheyHeldDocumentsReadTheSame() {
    // as the value type wrote a document before it kept bytes: its length, then mongo-java-server's BSON
    ByteBuf bson = Unpooled.buffer();
    BsonEncoder.encodeDocument(sample(), bson);
    WriteBuffer buffer = new WriteBuffer();
    buffer.putVarInt(bson.readableBytes()).put(bson.nioBuffer());
    bson.release();
    assertThat(BsonDocuments.decode(new BsonDocuments().read(buffer.getBuffer().flip()))).isEqualTo(sample());
  }

  @Test
  void h2IsToldADocumentWeighsSeveralTimesItsBytes() {
    byte[] bytes = BsonDocuments.encode(sample());
    assertThat(new BsonDocuments().getMemory(bytes)).isGreaterThanOrEqualTo(4 * bytes.length);
  }
}
