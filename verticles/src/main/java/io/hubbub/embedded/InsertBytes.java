package io.hubbub.embedded;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.MongoWireProtocolHandler;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import de.bwaldvogel.mongo.wire.message.ClientRequest;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * mongo-java-server's decoder of the wire protocol, keeping the BSON each inserted document came in: the store keeps
 * documents as BSON ({@link BsonDocuments}), and the library decodes what a client sends into documents that the
 * store then encoded again, each bucket of a batch append tens of KB (a tenth of a batch's CPU). The bytes of an
 * insert command's documents, sent as a document sequence (as the MongoDB driver sends them), are kept for the
 * message being handled on this thread, each by its decoded document ({@link #take}), when every one of them has its
 * own {@code _id}; any other document the store is given (of an insert the store names a document of, of an update)
 * is encoded, as before.
 *
 * <p>What is stored must not depend on whether a write reached the store's file before a crash: the library's
 * decoding is not always exact (BSON's undefined becomes a null), so a document stored as it came must be replayed
 * as it came. The journal records such an insert with its documents as they came ({@link #encodeCommand}), and
 * replay stores every inserted document as its record holds it ({@link #decodeRecord}): as it came, or as the
 * library encoded it, which is what the write stored.
 *
 * <p>Put in place of the library's decoder on a connection's first message ({@link #install}), where the library
 * gives no other way in; Netty passes the bytes the old decoder held on to this one.
 */
final class InsertBytes extends MongoWireProtocolHandler {

  static final String NAME = "hubbub-insert-bytes";
  private static final byte[] DOCUMENTS = "documents".getBytes(StandardCharsets.US_ASCII);
  private static final int CHECKSUM_PRESENT = 1;
  private static final byte TYPE_DOCUMENT = 0x03;
  private static final byte TYPE_ARRAY = 0x04;

  /** The documents of the last insert decoded on this thread, each with its bytes as they came. */
  private static final ThreadLocal<IdentityHashMap<Document, byte[]>> KEPT = new ThreadLocal<>();

  /** Puts this decoder in place of the library's on the channel, once. */
  static void install(Channel channel) {
    ChannelPipeline pipeline = channel.pipeline();
    if (pipeline.get(NAME) == null && pipeline.get(MongoWireProtocolHandler.class) != null) {
      pipeline.replace(MongoWireProtocolHandler.class, NAME, new InsertBytes());
    }
  }

  /** The bytes this inserted document came in, once; null if there are none (then it is encoded). */
  static byte[] take(Document document) {
    IdentityHashMap<Document, byte[]> kept = KEPT.get();
    return kept == null ? null : kept.remove(document);
  }

  /** Lets go of what the message just handled on this thread kept. */
  static void forget() {
    KEPT.remove();
  }

  @Override
  protected ClientRequest decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
    int start = in.readerIndex();
    ClientRequest request = super.decode(ctx, in);
    KEPT.remove(); // the message before was handled when it was decoded: nothing it kept is wanted
    if (request instanceof MongoMessage message && !message.getDocument().isEmpty()
      && "insert".equals(message.getDocument().keySet().iterator().next())
      && message.getDocument().get("documents") instanceof List<?> documents) {
      keep(documents, in, start, in.readerIndex());
    }
    return request;
  }

  /**
   * Finds the bytes of the documents in the OP_MSG between {@code start} and {@code end} (its header, its flags,
   * then sections: a body, or a document sequence named {@code documents}) and keeps each by its decoded document,
   * when there are as many as were decoded and each had its own {@code _id} (so the store adds nothing to it).
   */
  private static void keep(List<?> documents, ByteBuf in, int start, int end) {
    List<byte[]> found = new ArrayList<>(documents.size());
    int flags = in.getIntLE(start + 16);
    int payloadEnd = end - ((flags & CHECKSUM_PRESENT) != 0 ? 4 : 0);
    int at = start + 20;
    while (at < payloadEnd) {
      byte kind = in.getByte(at++);
      int size = in.getIntLE(at);
      if (size < 5) {
        return; // not what the library just decoded: keep nothing
      }
      if (kind == MongoMessage.SECTION_KIND_DOCUMENT_SEQUENCE && named(in, at + 4, DOCUMENTS)) {
        for (int doc = at + 4 + DOCUMENTS.length + 1; doc < at + size; doc += in.getIntLE(doc)) {
          if (in.getIntLE(doc) < 5) {
            return;
          }
          byte[] bytes = new byte[in.getIntLE(doc)];
          in.getBytes(doc, bytes);
          found.add(bytes);
        }
      }
      at += size;
    }
    keepAll(documents, found);
  }

  /**
   * Keeps each document's bytes, if there are as many as documents and every one has its own {@code _id}; else
   * none (the store gives the others an {@code _id}, and the journal then records the command as the library encodes
   * it: every document of the insert is stored as that encoding, live and replayed alike).
   */
  private static void keepAll(List<?> documents, List<byte[]> found) {
    if (found.size() != documents.size()) {
      return;
    }
    IdentityHashMap<Document, byte[]> kept = new IdentityHashMap<>(documents.size());
    for (int i = 0; i < found.size(); i++) {
      if (!(documents.get(i) instanceof Document document) || !document.containsKey("_id")) {
        return;
      }
      kept.put(document, found.get(i));
    }
    KEPT.set(kept);
  }

  /**
   * An insert command for the journal with its documents as the bytes they came in, when every one of them was kept;
   * else null, and the caller encodes the command. Its fields but {@code documents} are encoded by the library,
   * {@code documents} last, as the library's decoder leaves it. The documents are not copied: the command is a
   * composite of the encoded fields, each document's array key and its kept bytes (a group commit's insert is
   * hundreds of KB, which one buffer grown by doubling made into a new old-generation object each time: G1 then
   * started a marking cycle an insert).
   */
  static ByteBuf encodeCommand(Document query) {
    IdentityHashMap<Document, byte[]> kept = KEPT.get();
    if (kept == null || !(query.get("documents") instanceof List<?> documents) || documents.size() != kept.size()) {
      return null;
    }
    List<byte[]> bytes = new ArrayList<>(documents.size());
    for (Object document : documents) {
      byte[] sent = document instanceof Document d ? kept.get(d) : null;
      if (sent == null) {
        return null;
      }
      bytes.add(sent);
    }
    Document fields = new Document();
    query.forEach((key, value) -> {
      if (!key.equals("documents")) {
        fields.put(key, value);
      }
    });
    ByteBuf head = Unpooled.buffer(256);
    BsonEncoder.encodeDocument(fields, head);
    head.writerIndex(head.writerIndex() - 1); // its terminating 0: documents follow
    head.writeByte(TYPE_ARRAY).writeBytes(DOCUMENTS).writeByte(0);
    int array = head.writerIndex();
    head.writeIntLE(0);
    ByteBuf keys = Unpooled.buffer(bytes.size() * 8); // each document's type, array index and 0, side by side
    ByteBuf[] parts = new ByteBuf[2 * bytes.size() + 2];
    parts[0] = head;
    int arrayBytes = 4 + 1; // its length, its terminating 0
    for (int i = 0; i < bytes.size(); i++) {
      int from = keys.writerIndex();
      keys.writeByte(TYPE_DOCUMENT).writeBytes(Integer.toString(i).getBytes(StandardCharsets.US_ASCII)).writeByte(0);
      parts[2 * i + 1] = keys.retainedSlice(from, keys.writerIndex() - from);
      parts[2 * i + 2] = Unpooled.wrappedBuffer(bytes.get(i));
      arrayBytes += keys.writerIndex() - from + bytes.get(i).length;
    }
    keys.release();
    parts[parts.length - 1] = Unpooled.buffer(2).writeByte(0).writeByte(0); // the array's end, the command's
    head.setIntLE(array, arrayBytes);
    head.setIntLE(0, array + arrayBytes + 1);
    return Unpooled.wrappedBuffer(parts.length, parts);
  }

  /**
   * A journaled command decoded for replay; for an insert, its documents' bytes kept as they are in the record (as
   * the write that recorded it stored them: as they came, or as the library encoded them), for the replay only.
   */
  static Document decodeRecord(String command, ByteBuf record) {
    Document decoded = BsonDecoder.decodeBson(record.duplicate());
    KEPT.remove();
    if (command.equalsIgnoreCase("insert") && decoded.get("documents") instanceof List<?> documents) {
      List<byte[]> found = new ArrayList<>(documents.size());
      ByteBuf in = record.duplicate();
      in.readIntLE();
      for (byte type = in.readByte(); type != 0; type = in.readByte()) {
        String name = BsonDecoder.decodeCString(in);
        if (type != TYPE_ARRAY || !name.equals("documents")) {
          BsonDecoder.decodeValue(type, in); // passed over
          continue;
        }
        in.readIntLE();
        for (byte element = in.readByte(); element != 0; element = in.readByte()) {
          BsonDecoder.decodeCString(in);
          if (element != TYPE_DOCUMENT) {
            return decoded;
          }
          int at = in.readerIndex();
          byte[] bytes = new byte[in.getIntLE(at)];
          in.readBytes(bytes);
          found.add(bytes);
        }
      }
      keepAll(documents, found);
    }
    return decoded;
  }

  /** Whether the C string at {@code at} is {@code name}. */
  private static boolean named(ByteBuf in, int at, byte[] name) {
    for (int i = 0; i < name.length; i++) {
      if (in.getByte(at + i) != name[i]) {
        return false;
      }
    }
    return in.getByte(at + name.length) == 0;
  }
}
