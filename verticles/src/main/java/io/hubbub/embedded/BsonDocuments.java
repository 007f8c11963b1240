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

/**
 * The value type of the embedded store's collections: each document as its BSON bytes, with mongo-java-server's own
 * codec (the one its wire protocol uses), encoded when it is stored and decoded when it is asked for
 * ({@link #encode}, {@link #decode}). H2's default type kept documents as objects and stored them by Java
 * serialization, the largest cost of reading history (a profile of catch-up reads) and a large one of every write.
 * Kept as bytes, a stored document is one array on the heap instead of a tree of maps and strings: the pages a
 * checkpoint has not written yet, and those H2 caches, cost the garbage collector an array each, and writing a page
 * copies bytes. Used only for maps made with it ({@link DurableH2Backend} marks them): the byte format differs from
 * the plain backend's.
 */
final class BsonDocuments extends BasicDataType<byte[]> {

  /**
   * How much larger than its BSON H2 is told a document is. H2 splits a page by this estimate: the decoded objects'
   * size, which these pages were sized by when they held documents (too low a guess makes huge pages, and a write to
   * one rewrites all of it).
   */
  private static final int PAGE_WEIGHT = 5;

  static byte[] encode(Document document) {
    ByteBuf bson = Unpooled.buffer(512);
    try {
      BsonEncoder.encodeDocument(document, bson);
      byte[] bytes = new byte[bson.readableBytes()];
      bson.readBytes(bytes);
      return bytes;
    } finally {
      bson.release();
    }
  }

  static Document decode(byte[] bson) {
    return bson == null ? null : BsonDecoder.decodeBson(Unpooled.wrappedBuffer(bson));
  }

  @Override
  public int getMemory(byte[] bson) {
    return 64 + PAGE_WEIGHT * bson.length;
  }

  @Override
  public void write(WriteBuffer buff, byte[] bson) {
    buff.putVarInt(bson.length).put(bson);
  }

  @Override
  public byte[] read(ByteBuffer buff) {
    byte[] bson = new byte[DataUtils.readVarInt(buff)];
    buff.get(bson);
    return bson;
  }

  @Override
  public byte[][] createStorage(int size) {
    return new byte[size][];
  }

  @Override
  public int compare(byte[] unusedLeft, byte[] unusedRight) {
    throw new UnsupportedOperationException("documents are values, never keys");
  }
}
