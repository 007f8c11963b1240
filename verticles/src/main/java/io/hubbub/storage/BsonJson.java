package io.hubbub.storage;

import com.fasterxml.jackson.core.JsonGenerator;
import org.bson.RawBsonDocument;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A stored document's BSON read element by element and written as JSON straight from its bytes, for the values an
 * event holds when it came in as JSON: strings, 32- and 64-bit integers, doubles, booleans, nulls, documents and
 * arrays, each written as Jackson writes the value vertx-mongo-client decodes from it. A string of printable ASCII
 * (ids, types, timestamps, most text) is copied as it is stored, which is what Jackson writes for it, instead of
 * being decoded and encoded again character by character.
 *
 * <p>Anything else, a value of another BSON type (a date, an object id) or bytes that are not well-formed BSON, is
 * {@link NotJson}: the caller decodes the document with the client's codec instead, which decodes what it can and
 * refuses what it cannot, as it always did.
 */
final class BsonJson {

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;

  private final byte[] bytes;
  /** Where the document starts (its size). */
  private final int start;
  /** Where the document's last byte (its terminating 0) is. */
  private final int last;
  /** Where the next element starts (its type). */
  private int at;
  private byte type;
  private int nameStart;
  private int nameEnd;
  /** Where the current element's value starts. */
  private int value;

  private BsonJson(byte[] bytes, int start, int limit) {
    this.bytes = bytes;
    int size = int32(bytes, start, limit);
    if (size < 5 || size > limit - start || bytes[start + size - 1] != 0) {
      throw new NotJson();
    }
    this.start = start;
    this.last = start + size - 1;
    this.at = start + 4;
  }

  /** The stored document's elements, or null when its bytes are not in an array to read them from. */
  static BsonJson of(RawBsonDocument stored) {
    ByteBuffer nio = stored.getByteBuffer().asNIO();
    if (!nio.hasArray()) {
      return null;
    }
    int start = nio.arrayOffset() + nio.position();
    return new BsonJson(nio.array(), start, start + nio.remaining());
  }

  /**
   * The elements of the array {@code name} of the stored document (a bucket's {@code events}), or null when the
   * document's bytes are not in an array to read them from or it has no such array.
   */
  static BsonJson array(RawBsonDocument stored, byte[] name) {
    BsonJson document = of(stored);
    if (document == null) {
      return null;
    }
    while (document.next()) {
      if (document.nameIs(name) && document.type == 0x04) {
        return document.inner();
      }
      document.at = document.end(document.type, document.value, document.last);
    }
    return null;
  }

  /** The current element's value, a document (an event of a bucket's {@code events}), as a reader of its fields. */
  BsonJson element() {
    if (type != 0x03) {
      throw new NotJson();
    }
    return inner();
  }

  /** The current element's value, a document or an array, as a reader of its elements; the element is read. */
  private BsonJson inner() {
    BsonJson inner = new BsonJson(bytes, value, last);
    at = inner.last + 1;
    return inner;
  }

  /** The document this reads, as the driver holds a stored one (its bytes are not copied). */
  RawBsonDocument stored() {
    return new RawBsonDocument(bytes, start, last - start + 1);
  }

  /** Moves to the next element: false at the end of the document. */
  boolean next() {
    if (at == last) {
      return false;
    }
    type = bytes[at];
    nameStart = at + 1;
    nameEnd = cstringEnd(nameStart, last);
    value = nameEnd + 1;
    at = -1; // until the value is read
    return true;
  }

  /** Whether the current element's name is these bytes (ASCII). */
  boolean nameIs(byte[] name) {
    if (nameEnd - nameStart != name.length) {
      return false;
    }
    for (int i = 0; i < name.length; i++) {
      if (bytes[nameStart + i] != name[i]) {
        return false;
      }
    }
    return true;
  }

  /** The current element's value, a 32- or 64-bit integer. */
  long integer() {
    switch (type) {
      case 0x10 -> {
        at = value + 4;
        return int32(bytes, value, last);
      }
      case 0x12 -> {
        at = value + 8;
        return int64(value);
      }
      default -> throw new NotJson();
    }
  }

  /** Writes the current element's value. */
  void write(JsonGenerator out) throws IOException {
    at = value(out, type, value, last);
  }

  /** Writes the value of {@code kind} at {@code from}, which must end before {@code limit}; where it ends. */
  private int value(JsonGenerator out, byte kind, int from, int limit) throws IOException {
    switch (kind) {
      case 0x01 -> { // double
        out.writeNumber(Double.longBitsToDouble(within(from, 8, limit)));
        return from + 8;
      }
      case 0x02 -> { // string: its length with the 0, its UTF-8, 0
        int stop = end(kind, from, limit);
        int start = from + 4;
        int length = stop - 1 - start; // its UTF-8, without the 0
        if (plain(bytes, start, length)) {
          out.writeRawUTF8String(bytes, start, length);
        } else {
          out.writeString(new String(bytes, start, length, StandardCharsets.UTF_8));
        }
        return stop;
      }
      case 0x03, 0x04 -> { // document, array: its size, its elements, 0
        int end = end(kind, from, limit) - 1; // its terminating 0
        boolean array = kind == 0x04;
        if (array) {
          out.writeStartArray();
        } else {
          out.writeStartObject();
        }
        int p = from + 4;
        while (p < end) {
          byte element = bytes[p];
          int nameEnd = cstringEnd(p + 1, end);
          if (!array) {
            out.writeFieldName(new String(bytes, p + 1, nameEnd - p - 1, StandardCharsets.UTF_8));
          }
          p = value(out, element, nameEnd + 1, end);
        }
        if (p != end) {
          throw new NotJson();
        }
        if (array) {
          out.writeEndArray();
        } else {
          out.writeEndObject();
        }
        return end + 1;
      }
      case 0x08 -> { // boolean
        if (from >= limit || (bytes[from] != 0 && bytes[from] != 1)) {
          throw new NotJson();
        }
        out.writeBoolean(bytes[from] == 1);
        return from + 1;
      }
      case 0x0A -> { // null
        out.writeNull();
        return from;
      }
      case 0x10 -> { // 32-bit integer
        out.writeNumber(int32(bytes, from, limit));
        return from + 4;
      }
      case 0x12 -> { // 64-bit integer
        out.writeNumber(within(from, 8, limit));
        return from + 8;
      }
      default -> throw new NotJson();
    }
  }

  /** Where the value of {@code kind} at {@code from}, which must end before {@code limit}, ends. */
  private int end(byte kind, int from, int limit) {
    switch (kind) {
      case 0x02 -> { // string: its length with the 0, its UTF-8, 0
        int length = int32(bytes, from, limit);
        if (length < 1 || length > limit - from - 4 || bytes[from + 4 + length - 1] != 0) {
          throw new NotJson();
        }
        return from + 4 + length;
      }
      case 0x03, 0x04 -> { // document, array: its size, its elements, 0
        int size = int32(bytes, from, limit);
        if (size < 5 || size > limit - from || bytes[from + size - 1] != 0) {
          throw new NotJson();
        }
        return from + size;
      }
      default -> {
        int size = switch (kind) {
          case 0x01, 0x12 -> 8; // double, 64-bit integer
          case 0x08 -> 1; // boolean
          case 0x0A -> 0; // null
          case 0x10 -> 4; // 32-bit integer
          default -> throw new NotJson();
        };
        if (size > limit - from) {
          throw new NotJson();
        }
        return from + size;
      }
    }
  }

  /** Where the 0 ending the name that starts at {@code from} is, before {@code limit}. */
  private int cstringEnd(int from, int limit) {
    for (int i = from; i < limit; i++) {
      if (bytes[i] == 0) {
        return i;
      }
    }
    throw new NotJson();
  }

  private long int64(int from) {
    return within(from, 8, last);
  }

  /** The 64-bit little-endian value at {@code from}, whose {@code size} bytes must end before {@code limit}. */
  private long within(int from, int size, int limit) {
    if (from < 0 || from > limit - size) {
      throw new NotJson();
    }
    return (long) LONGS.get(bytes, from);
  }

  private static int int32(byte[] bytes, int from, int limit) {
    if (from < 0 || from > limit - 4) {
      throw new NotJson();
    }
    return (bytes[from] & 0xff) | (bytes[from + 1] & 0xff) << 8 | (bytes[from + 2] & 0xff) << 16 | (bytes[from + 3] & 0xff) << 24;
  }

  /**
   * Whether JSON writes these bytes as they are: printable ASCII, no quote, no backslash. Eight bytes at a time: a
   * word has none of those when no byte has its high bit set, none is below 0x20, and none equals '"', '\\' or 0x7f
   * (with no high bit set anywhere, a byte below n and a zero byte show exactly as high bits of
   * {@code (w - n * ONES) & ~w}).
   */
  static boolean plain(byte[] bytes, int from, int length) {
    int i = from;
    int end = from + length;
    for (; i <= end - 8; i += 8) {
      long w = (long) LONGS.get(bytes, i);
      long control = (w - 0x20 * ONES) & ~w;
      long quote = zeroByte(w ^ ('"' * ONES));
      long backslash = zeroByte(w ^ ('\\' * ONES));
      long delete = zeroByte(w ^ (0x7f * ONES));
      if (((w | control | quote | backslash | delete) & HIGHS) != 0) {
        return false;
      }
    }
    for (; i < end; i++) {
      byte b = bytes[i];
      if (b < 0x20 || b == '"' || b == '\\' || b == 0x7f) { // a byte of non-ASCII is negative
        return false;
      }
    }
    return true;
  }

  private static long zeroByte(long x) {
    return (x - ONES) & ~x;
  }

  /** A document this does not write: the caller decodes it with the client's codec. */
  static final class NotJson extends RuntimeException {

    private static final long serialVersionUID = 1L;

    NotJson() {
      super(null, null, false, false); // no stack trace: an answer, not an error
    }
  }
}
