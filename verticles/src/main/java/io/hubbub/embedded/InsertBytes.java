package io.hubbub.embedded;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.MongoWireProtocolHandler;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import de.bwaldvogel.mongo.wire.message.ClientRequest;
import de.bwaldvogel.mongo.wire.message.MessageHeader;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
 * <p>Such an insert is also decoded only as deep as the store looks ({@link #decodeInsert}): each document's
 * top-level fields, but its embedded documents and arrays (other than {@code _id}) are left as they came, checked to
 * be well-formed BSON ({@link #checkDocument}), each as a {@link Deferred} that the collection decodes if one of its
 * indexes needs it ({@link #complete}). The store keeps the bytes, so nothing else reads them: decoding a bucket's
 * events was a fifth of what the store allocated under batch appends.
 *
 * <p>Put in place of the library's decoder on a connection's first message ({@link #install}), where the library
 * gives no other way in; Netty passes the bytes the old decoder held on to this one.
 */
final class InsertBytes extends MongoWireProtocolHandler {

  static final String NAME = "hubbub-insert-bytes";
  private static final byte[] DOCUMENTS = "documents".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] INSERT = "insert".getBytes(StandardCharsets.US_ASCII);
  private static final int OP_MSG = 2013;
  private static final int HEADER = 20; // length, request id, response to, op code, flags
  private static final int CHECKSUM_PRESENT = 1;
  private static final byte TYPE_STRING = 0x02;
  private static final byte TYPE_DOCUMENT = 0x03;
  private static final byte TYPE_ARRAY = 0x04;
  private static final String ID = "_id";
  /** How deep and how wide a document is checked before the library is left to decode it. */
  private static final int MAX_DEPTH = 100;
  private static final int MAX_FIELDS = 64;
  private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

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
    KEPT.remove(); // the message before was handled when it was decoded: nothing it kept is wanted
    MongoMessage insert = decodeInsert(ctx.channel(), in);
    if (insert != null) {
      return insert;
    }
    int start = in.readerIndex();
    ClientRequest request = super.decode(ctx, in);
    if (request instanceof MongoMessage message && !message.getDocument().isEmpty()
      && "insert".equals(message.getDocument().keySet().iterator().next())
      && message.getDocument().get("documents") instanceof List<?> documents) {
      keep(documents, in, start, in.readerIndex());
    }
    return request;
  }

  /**
   * A whole OP_MSG at the reader's index that is an insert, its body first and then its documents as one sequence,
   * each with its own {@code _id} and well-formed: decoded with each document's embedded documents and arrays left as
   * {@link Deferred}s, each document's bytes kept; else null, having read nothing, and the library decodes the message
   * (or says what is wrong with it).
   */
  private static MongoMessage decodeInsert(Channel channel, ByteBuf in) {
    int start = in.readerIndex();
    if (in.readableBytes() < HEADER + 1) {
      return null;
    }
    int length = in.getIntLE(start);
    if (length > MAX_MESSAGE_SIZE_BYTES || length < HEADER + 1 || in.readableBytes() < length
      || in.getIntLE(start + 12) != OP_MSG || in.getIntLE(start + 16) != 0) {
      return null;
    }
    int end = start + length;
    int body = start + HEADER;
    if (in.getByte(body) != MongoMessage.SECTION_KIND_BODY || body + 1 + 4 + 2 + INSERT.length > end
      || in.getByte(body + 1 + 4) != TYPE_STRING || !named(in, body + 1 + 4 + 1, INSERT)) {
      return null; // not an insert (the command is the body's first field)
    }
    int bodySize = in.getIntLE(body + 1);
    if (bodySize < 5 || bodySize > end - body - 1) {
      return null;
    }
    int sequence = body + 1 + bodySize;
    if (sequence + 1 + 4 + DOCUMENTS.length + 1 > end
      || in.getByte(sequence) != MongoMessage.SECTION_KIND_DOCUMENT_SEQUENCE
      || sequence + 1 + in.getIntLE(sequence + 1) != end || !named(in, sequence + 1 + 4, DOCUMENTS)) {
      return null; // the documents are not the one section after the body
    }
    List<Document> documents = new ArrayList<>();
    List<byte[]> found = new ArrayList<>();
    for (int at = sequence + 1 + 4 + DOCUMENTS.length + 1; at < end; ) {
      int size = end - at >= 4 ? in.getIntLE(at) : 0;
      if (size < 5 || size > end - at) {
        return null;
      }
      byte[] bytes = new byte[size];
      in.getBytes(at, bytes);
      Document document = topLevel(bytes);
      if (document == null) {
        return null;
      }
      documents.add(document);
      found.add(bytes);
      at += size;
    }
    if (documents.isEmpty()) {
      return null;
    }
    Document command;
    try {
      command = BsonDecoder.decodeBson(in.slice(body + 1, bodySize));
    } catch (RuntimeException e) {
      return null;
    }
    if (command.containsKey("documents")) {
      return null;
    }
    command.put("documents", documents);
    MessageHeader header = new MessageHeader(length, in.getIntLE(start + 4), in.getIntLE(start + 8));
    in.readerIndex(end);
    keepAll(documents, found);
    return new MongoMessage(channel, header, command);
  }

  /**
   * A document's top-level fields decoded, its embedded documents and arrays but {@code _id} left as
   * {@link Deferred}s; null if it has no {@code _id} or {@link #checkDocument} does not take it (once it does, the
   * library's decoding of each value cannot fail, and no name comes twice).
   */
  private static Document topLevel(byte[] bson) {
    if (checkDocument(bson, 0, bson.length) != bson.length) {
      return null;
    }
    ByteBuf in = Unpooled.wrappedBuffer(bson);
    Document document = new Document();
    in.readerIndex(4);
    for (byte type = in.readByte(); type != 0; type = in.readByte()) {
      String name = BsonDecoder.decodeCString(in);
      if ((type == TYPE_DOCUMENT || type == TYPE_ARRAY) && !name.equals(ID)) {
        document.put(name, new Deferred(bson, in.readerIndex(), type));
        in.skipBytes(in.getIntLE(in.readerIndex()));
      } else {
        document.put(name, BsonDecoder.decodeValue(type, in));
      }
    }
    return document.containsKey(ID) ? document : null;
  }

  /**
   * Where the BSON document at {@code at}, ending by {@code limit}, ends if the library's decoder reads it without
   * fault (the types it knows and their sizes, strings and C strings terminated, booleans 0 or 1, the binary subtypes
   * it takes, no field named twice); -1 if it is not so, or too large to tell cheaply: then the library decodes it, and
   * refuses it or not. Reads the array itself, without allocating: read through a {@link ByteBuf}, every byte checked
   * the buffer's reference count first (~7% of the store worker's CPU samples in appends of 1,000 events).
   */
  static int checkDocument(byte[] in, int at, int limit) {
    return check(in, at, limit, false, 0);
  }

  private static int check(byte[] in, int at, int limit, boolean array, int depth) {
    if (depth > MAX_DEPTH || limit - at < 5) {
      return -1;
    }
    int size = intAt(in, at);
    int end = at + size;
    if (size < 5 || size > limit - at || in[end - 1] != 0) {
      return -1;
    }
    int i = at + 4;
    for (int fields = 0; i < end - 1; fields++) {
      byte type = in[i++];
      int name = i;
      i = cString(in, i, end - 1);
      if (i < 0) {
        return -1;
      }
      // an array's keys are 0, 1, 2… (the library takes others, but no driver writes them)
      boolean refused = array
        ? !isIndex(in, name, i - 1, fields)
        : fields >= MAX_FIELDS || named(in, at + 4, name, i - 1);
      if (refused) {
        return -1;
      }
      i = checkValue(in, type, i, end - 1, depth);
      if (i < 0) {
        return -1;
      }
    }
    return i == end - 1 ? end : -1;
  }

  /** Where the value of {@code type} at {@code at} ends, by {@code limit}; -1 if it is not well-formed. */
  private static int checkValue(byte[] in, byte type, int at, int limit, int depth) {
    return switch (type) {
      case 0x06, 0x0A, 0x7F, (byte) 0xFF -> at; // undefined, null, max key, min key
      case 0x08 -> at < limit && (in[at] == 0 || in[at] == 1) ? at + 1 : -1; // boolean
      case 0x10 -> fixed(at, 4, limit); // int32
      case 0x01, 0x09, 0x11, 0x12 -> fixed(at, 8, limit); // double, date, timestamp, int64
      case 0x07 -> fixed(at, 12, limit); // object id
      case 0x13 -> fixed(at, 16, limit); // decimal128
      case 0x02, 0x0D -> string(in, at, limit); // string, JavaScript
      case TYPE_DOCUMENT, TYPE_ARRAY -> check(in, at, limit, type == TYPE_ARRAY, depth + 1);
      case 0x05 -> binary(in, at, limit);
      case 0x0B -> { // regular expression: pattern and options
        int options = cString(in, at, limit);
        yield options < 0 ? -1 : cString(in, options, limit);
      }
      default -> -1; // what the library's decoder refuses
    };
  }

  /** Where a value checked before ends. */
  private static int skipValue(byte[] in, byte type, int at) {
    return switch (type) {
      case 0x08 -> at + 1;
      case 0x10 -> at + 4;
      case 0x01, 0x09, 0x11, 0x12 -> at + 8;
      case 0x07 -> at + 12;
      case 0x13 -> at + 16;
      case 0x02, 0x0D -> at + 4 + intAt(in, at);
      case TYPE_DOCUMENT, TYPE_ARRAY -> at + intAt(in, at);
      case 0x05 -> at + 5 + intAt(in, at);
      case 0x0B -> cString(in, cString(in, at, in.length), in.length);
      default -> at;
    };
  }

  /** Whether a field checked before, from {@code from} up to the name at {@code name} (ending at its 0), has it. */
  private static boolean named(byte[] in, int from, int name, int nameEnd) {
    int i = from;
    while (i < name - 1) {
      byte type = in[i++];
      int zero = cString(in, i, nameEnd) - 1; // found: the fields before the name were checked
      if (Arrays.equals(in, i, zero, in, name, nameEnd)) {
        return true;
      }
      i = skipValue(in, type, zero + 1);
    }
    return false;
  }

  /** Whether the name from {@code name} to {@code nameEnd} is {@code index} in decimal. */
  private static boolean isIndex(byte[] in, int name, int nameEnd, int index) {
    int rest = index;
    for (int i = nameEnd - 1; i >= name; i--) {
      if (in[i] != '0' + rest % 10) {
        return false;
      }
      rest /= 10;
      if (rest == 0) {
        return i == name;
      }
    }
    return false;
  }

  private static int fixed(int at, int size, int limit) {
    return limit - at >= size ? at + size : -1;
  }

  private static int string(byte[] in, int at, int limit) {
    if (limit - at < 5) {
      return -1;
    }
    int size = intAt(in, at);
    return size >= 1 && size <= limit - at - 4 && in[at + 4 + size - 1] == 0 ? at + 4 + size : -1;
  }

  private static int binary(byte[] in, int at, int limit) {
    if (limit - at < 5) {
      return -1;
    }
    int size = intAt(in, at);
    byte subtype = in[at + 4];
    boolean known = subtype == 0 || subtype == (byte) 0x80 || ((subtype == 3 || subtype == 4) && size == 16);
    return known && size >= 0 && size <= limit - at - 5 ? at + 5 + size : -1;
  }

  /** Where the C string at {@code at} ends (past its 0), by {@code limit}; -1 if it does not. */
  private static int cString(byte[] in, int at, int limit) {
    for (int i = at; i < limit; i++) {
      if (in[i] == 0) {
        return i + 1;
      }
    }
    return -1;
  }

  /** The little-endian int at {@code at}. */
  private static int intAt(byte[] in, int at) {
    return (int) INT_LE.get(in, at);
  }

  /**
   * An embedded document or array of an inserted document, as it came: what the library would have decoded there,
   * for the collection to decode if it needs it ({@link #complete}).
   */
  static final class Deferred {
    private final byte[] bson;
    private final int at;
    private final byte type;

    Deferred(byte[] bson, int at, byte type) {
      this.bson = bson;
      this.at = at;
      this.type = type;
    }

    Object decode() {
      ByteBuf in = Unpooled.wrappedBuffer(bson);
      in.readerIndex(at);
      return BsonDecoder.decodeValue(type, in);
    }

    @Override
    public String toString() {
      return type == TYPE_ARRAY ? "[...]" : "{...}";
    }
  }

  /** Decodes the {@link Deferred} fields of {@code document} named in {@code fields}, or all of them if null. */
  static void complete(Document document, Set<String> fields) {
    for (Map.Entry<String, Object> field : document.entrySet()) {
      if (field.getValue() instanceof Deferred deferred && (fields == null || fields.contains(field.getKey()))) {
        field.setValue(deferred.decode());
      }
    }
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
