package io.hubbub.embedded;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Map;

/**
 * The value type of the embedded store's collections: each document as BSON, with mongo-java-server's own
 * codec (the one its wire protocol uses). H2's default type stored documents by Java serialization, the
 * largest cost of reading history (a profile of catch-up reads) and a large one of every write. Used only
 * for maps made with it ({@link DurableH2Backend} marks them): the byte format differs.
 */
final class BsonDocuments extends BasicDataType<Document> {

  /** An estimate of the document's size: H2 sizes its pages by it (too low a guess makes huge pages to rewrite). */
  @Override
  public int getMemory(Document document) {
    return (int) Math.min(Integer.MAX_VALUE, estimate(document));
  }

  private static long estimate(Object value) {
    if (value instanceof Map<?, ?> map) {
      long size = 48;
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        size += 32 + estimate(entry.getKey()) + estimate(entry.getValue());
      }
      return size;
    }
    if (value instanceof Collection<?> list) {
      long size = 32;
      for (Object item : list) {
        size += 8 + estimate(item);
      }
      return size;
    }
    if (value instanceof String s) {
      return 40L + s.length();
    }
    if (value instanceof byte[] bytes) {
      return 16L + bytes.length;
    }
    return 16;
  }

  @Override
  public void write(WriteBuffer buff, Document document) {
    ByteBuf bson = Unpooled.buffer(512); // grows as needed: sizing it by getMemory would walk the document twice
    try {
      BsonEncoder.encodeDocument(document, bson);
      buff.putVarInt(bson.readableBytes()).put(bson.nioBuffer());
    } finally {
      bson.release();
    }
  }

  @Override
  public Document read(ByteBuffer buff) {
    int length = DataUtils.readVarInt(buff);
    ByteBuffer slice = buff.slice();
    slice.limit(length);
    buff.position(buff.position() + length);
    return BsonDecoder.decodeBson(Unpooled.wrappedBuffer(slice));
  }

  @Override
  public Document[] createStorage(int size) {
    return new Document[size];
  }

  @Override
  public int compare(Document unusedLeft, Document unusedRight) {
    throw new UnsupportedOperationException("documents are values, never keys");
  }
}
