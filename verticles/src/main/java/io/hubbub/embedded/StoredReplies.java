package io.hubbub.embedded;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.BsonConstants;
import de.bwaldvogel.mongo.wire.MongoWireMessageEncoder;
import de.bwaldvogel.mongo.wire.OpCode;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Answers a find with the documents it found as the BSON they are stored as ({@link BsonDocuments}), instead of
 * decoding each into a document and encoding it again for the reply: reading history is finds of whole buckets by
 * their keys, and that decode and encode were over half of the embedded store's share of a catch-up read (a JFR
 * profile of {@code bench catchup}).
 *
 * <p>mongo-java-server's documents are a final class, so a stored document goes through the library's find and
 * cursor code as a placeholder ({@link #placeholder}): a document whose one field holds the bytes. This encoder, put
 * in place of the library's on a connection before its first find or getMore ({@link #install}), writes those bytes
 * where it meets one. The library's own encoder refuses such a field (a type it does not know) and closes the
 * connection, so a reply is never sent without its documents.
 */
final class StoredReplies extends MongoWireMessageEncoder {

  private static final String NAME = "hubbub-stored-replies";
  private static final String FIELD = "$hubbub.stored";

  /** A stored document's BSON, in a placeholder. */
  static final class Bytes {

    private final byte[] bson;

    Bytes(byte[] bson) {
      this.bson = bson;
    }
  }

  /** A document that this encoder writes as {@code bson}, which must be one whole BSON document. */
  static Document placeholder(byte[] bson) {
    return new Document(FIELD, new Bytes(bson));
  }

  /**
   * Puts this encoder in place of the library's on {@code channel}, unless it is there already; called on the
   * channel's thread. False when the channel has neither (not a connection of mongo-java-server's).
   */
  static boolean install(Channel channel) {
    ChannelPipeline pipeline = channel.pipeline();
    if (pipeline.get(StoredReplies.class) != null) {
      return true;
    }
    if (pipeline.get(MongoWireMessageEncoder.class) == null) {
      return false;
    }
    pipeline.replace(MongoWireMessageEncoder.class, NAME, new StoredReplies());
    return true;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, MongoMessage message, ByteBuf buf) {
    Document reply = message.getDocument();
    if (!holdsStored(reply)) {
      super.encode(ctx, message, buf);
      return;
    }
    // the library's message head (MongoWireMessageEncoder), then the body with the stored bytes in it
    buf.writeIntLE(0);
    buf.writeIntLE(message.getHeader().getRequestID());
    buf.writeIntLE(message.getHeader().getResponseTo());
    buf.writeIntLE(OpCode.OP_MSG.getId());
    buf.writeIntLE(message.getFlags());
    buf.writeByte(MongoMessage.SECTION_KIND_BODY);
    document(reply, buf);
    buf.setIntLE(0, buf.writerIndex());
  }

  /** Whether a reply is a cursor's batch of placeholders: all of a batch are, or none (one query found them). */
  private static boolean holdsStored(Document reply) {
    if (!(reply.get("cursor") instanceof Document cursor)) {
      return false;
    }
    Object batch = cursor.containsKey("firstBatch") ? cursor.get("firstBatch") : cursor.get("nextBatch");
    return batch instanceof List<?> documents && !documents.isEmpty() && stored(documents.get(0)) != null;
  }

  private static Bytes stored(Object value) {
    return value instanceof Document document && document.size() == 1 && document.get(FIELD) instanceof Bytes bytes ? bytes : null;
  }

  /** As the library's {@link BsonEncoder#encodeDocument}, with documents and arrays walked here to find placeholders. */
  private static void document(Map<String, ?> document, ByteBuf out) {
    int start = out.writerIndex();
    out.writeIntLE(0);
    for (Map.Entry<String, ?> field : document.entrySet()) {
      value(field.getKey(), field.getValue(), out);
    }
    out.writeByte(BsonConstants.TERMINATING_BYTE);
    out.setIntLE(start, out.writerIndex() - start);
  }

  private static void value(String key, Object value, ByteBuf out) {
    Bytes stored = stored(value);
    if (stored != null) {
      name(BsonConstants.TYPE_EMBEDDED_DOCUMENT, key, out);
      out.writeBytes(stored.bson);
    } else if (value instanceof Document document) {
      name(BsonConstants.TYPE_EMBEDDED_DOCUMENT, key, out);
      document(document, out);
    } else if (value instanceof List<?> list) {
      name(BsonConstants.TYPE_ARRAY, key, out);
      int start = out.writerIndex();
      out.writeIntLE(0);
      for (int i = 0; i < list.size(); i++) {
        value(Integer.toString(i), list.get(i), out);
      }
      out.writeByte(BsonConstants.TERMINATING_BYTE);
      out.setIntLE(start, out.writerIndex() - start);
    } else {
      byte type = BsonEncoder.determineType(value);
      name(type, key, out);
      BsonEncoder.encodeValue(type, value, out);
    }
  }

  private static void name(byte type, String key, ByteBuf out) {
    out.writeByte(type);
    out.writeCharSequence(key, StandardCharsets.UTF_8);
    out.writeByte(BsonConstants.STRING_TERMINATION);
  }
}
