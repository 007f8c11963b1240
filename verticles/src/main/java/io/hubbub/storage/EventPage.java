package io.hubbub.storage;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.ext.mongo.impl.codec.json.JsonObjectCodec;
import org.bson.RawBsonDocument;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A page of one stream's events being read, each event encoded to JSON once, as readers get it
 * ({@code {stream, seq, id, type, data, by, ts}}), straight from the bucket it is stored in: storage answers a read
 * with these bytes ({@link #json}), the gateway passes them on as they are, and a page's bound on bytes
 * ({@code limits.maxReadBytes}) is measured on them, not on a second encoding.
 *
 * <p>It takes events in seq order from {@code from} to {@code end}; an event that would take its bytes past the bound
 * ends the page, unless the page is empty (the first event always comes, so a reader moves on).
 */
final class EventPage {

  private static final JsonFactory JSON = new JsonFactory();
  /** An event's fields after its seq, in the order storage writes them and readers get them. */
  private static final List<String> FIELDS = List.of("id", "type", "data", "by", "ts");
  /** {@link #FIELDS} as JSON names, encoded once. */
  private static final List<SerializedString> NAMES = FIELDS.stream().map(SerializedString::new).toList();
  private static final SerializedString STREAM = new SerializedString("stream");
  private static final SerializedString SEQ = new SerializedString("seq");
  private static final List<byte[]> FIELD_BYTES = FIELDS.stream().map(f -> f.getBytes(StandardCharsets.US_ASCII)).toList();
  private static final byte[] SEQ_BYTES = "seq".getBytes(StandardCharsets.US_ASCII);
  /** vertx-mongo-client's codec, to decode an event whole as the client does. */
  private static final JsonObjectCodec VALUES = new JsonObjectCodec(new JsonObject());

  private final String stream;
  /** {@link #stream} as a JSON string, encoded once for every event of the page. */
  private final SerializedString streamName;
  private final long end;
  private final long maxBytes;
  private final Chunks out = new Chunks();
  private JsonGenerator generator;
  /** Where each event's bytes end in {@link #out} (each after the first starts with a comma). */
  private int[] ends = new int[64];
  private int count;
  private long expected;
  private boolean closed;

  EventPage(String stream, long from, long end, long maxBytes) {
    this.stream = stream;
    this.streamName = new SerializedString(stream);
    this.expected = from;
    this.end = end;
    this.maxBytes = maxBytes;
    generator = generator(false);
  }

  /**
   * Takes a stored event ({@code {seq, id, type, data, by, ts}} of a bucket) if it is the next one; false once the
   * page is full (by seq or bytes), and from then on.
   */
  boolean offer(JsonObject stored) {
    return offer(stored.getLong("seq"), () -> {
      field("id", stored.getValue("id"));
      field("type", stored.getValue("type"));
      field("data", stored.getValue("data"));
      field("by", stored.getValue("by"));
      field("ts", stored.getValue("ts"));
    });
  }

  /**
   * As {@link #offer(JsonObject)}, for a stored event as its BSON ({@link RawBuckets}): its JSON is written straight
   * from the bytes ({@link BsonJson}), byte for byte what the JSON form writes for the document vertx-mongo-client
   * decodes from them. An event whose fields are not as storage writes them (its seq first, then {@link #FIELDS} in
   * order, any of them absent), or that holds a value of a type JSON does not have, is decoded whole.
   */
  boolean offer(RawBsonDocument stored) {
    BsonJson event;
    try {
      event = BsonJson.of(stored);
    } catch (BsonJson.NotJson e) {
      event = null;
    }
    return event == null ? offer(stored.decode(VALUES)) : offer(event);
  }

  /** As {@link #offer(RawBsonDocument)}, for a stored event being read ({@link BsonJson#element}, an event of its bucket). */
  boolean offer(BsonJson event) {
    if (closed) {
      return false;
    }
    int mark = written();
    try {
      if (!event.next() || !event.nameIs(SEQ_BYTES)) {
        return offer(event.stored().decode(VALUES));
      }
      return offer(event.integer(), () -> fields(event));
    } catch (BsonJson.NotJson e) {
      cutTo(mark);
      generator = generator(count > 0); // the one holding the event's start is dropped
      return offer(event.stored().decode(VALUES));
    }
  }

  /** Writes {@link #FIELDS} from the event, a null for each absent; {@link BsonJson.NotJson} if they are out of order. */
  private void fields(BsonJson event) throws IOException {
    int next = 0;
    while (event.next()) {
      int at = next;
      while (at < FIELD_BYTES.size() && !event.nameIs(FIELD_BYTES.get(at))) {
        at++;
      }
      if (at == FIELD_BYTES.size()) {
        throw new BsonJson.NotJson(); // out of order, twice, or a field storage does not write
      }
      for (; next < at; next++) {
        generator.writeFieldName(NAMES.get(next)); // absent (an event with no author has no `by`)
        generator.writeNull();
      }
      generator.writeFieldName(NAMES.get(at));
      event.write(generator);
      next++;
    }
    for (; next < FIELDS.size(); next++) {
      generator.writeFieldName(NAMES.get(next));
      generator.writeNull();
    }
  }

  /**
   * A generator writing into {@link #out}, a comma between events; {@code afterEvents} when the page holds some
   * already, so the first event it writes starts with a comma too.
   */
  private JsonGenerator generator(boolean afterEvents) {
    try {
      JsonGenerator fresh = JSON.createGenerator(out);
      fresh.setRootValueSeparator(new SerializedString(","));
      if (afterEvents) {
        fresh.writeRaw(',');
      }
      return fresh;
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
  }

  /** What an event is written as after its stream and seq. */
  private interface Fields {
    void write() throws IOException;
  }

  private boolean offer(long seq, Fields fields) {
    if (closed) {
      return false;
    }
    if (seq != expected) {
      return true;
    }
    if (seq > end) {
      return close();
    }
    int mark = written();
    try {
      generator.writeStartObject();
      generator.writeFieldName(STREAM);
      generator.writeString(streamName);
      generator.writeFieldName(SEQ);
      generator.writeNumber(seq);
      fields.write();
      generator.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int written = written();
    if (written > maxBytes && count > 0) {
      cutTo(mark);
      return close();
    }
    if (count == ends.length) {
      ends = Arrays.copyOf(ends, count * 2);
    }
    ends[count++] = written;
    expected++;
    return true;
  }

  /**
   * The bytes written so far, with those the generator holds: it moves them into {@link #out} when its buffer fills,
   * when the page ends and when an event is cut back, not after each event.
   */
  private int written() {
    return out.size() + generator.getOutputBuffered();
  }

  /** Cuts what was written back to {@code mark}, where an event started. */
  private void cutTo(int mark) {
    flush();
    out.truncate(mark);
  }

  /** Moves what the generator holds into {@link #out}. */
  private void flush() {
    try {
      generator.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
  }

  private void field(String name, Object value) throws IOException {
    generator.writeFieldName(name);
    JacksonCodec.encodeJson(value, generator);
  }

  /** Ends the page: no event is taken after this. */
  private boolean close() {
    closed = true;
    try {
      generator.close(); // flushes what it holds and gives its buffers back
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return false;
  }

  /** The events taken. */
  int size() {
    return count;
  }

  boolean isEmpty() {
    return count == 0;
  }

  /** The seq after the last event taken: where the next read starts. */
  long next() {
    return expected;
  }

  /** Whether it may take more: not full, and short of its last seq. */
  boolean open() {
    return !closed && expected <= end;
  }

  /** How many seqs the next fetch asks for: what is left, or what the bytes left hold at the size seen so far. */
  long span() {
    long left = end - expected + 1;
    int written = written();
    long average = Math.max(1, written / Math.max(1, count));
    return Math.max(1, Math.min(left, (maxBytes - written) / average + 1));
  }

  /**
   * The page as storage answers it: {@code {stream, events, next, firstSeq, lastSeq}} with the events' bytes as they
   * were encoded.
   */
  Buffer json(long firstSeq, long lastSeq) {
    if (!closed) {
      close(); // and so flushed
    }
    Buffer head = Buffer.buffer("{\"stream\":").appendBuffer(Json.encodeToBuffer(stream)).appendString(",\"events\":[");
    String tail = "],\"next\":" + expected + ",\"firstSeq\":" + firstSeq + ",\"lastSeq\":" + lastSeq + "}";
    Buffer page = Buffer.buffer(head.length() + out.size() + tail.length()).appendBuffer(head);
    return out.copy(0, out.size(), page).appendString(tail);
  }

  /** Each event's JSON on its own (a data tool writes them a line each). */
  List<Buffer> each() {
    if (!closed) {
      flush();
    }
    List<Buffer> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int start = i == 0 ? 0 : ends[i - 1] + 1;
      events.add(out.copy(start, ends[i], Buffer.buffer(ends[i] - start)));
    }
    return events;
  }

  /** The events taken, decoded. */
  List<JsonObject> events() {
    return each().stream().map(JsonObject::new).toList();
  }

  /**
   * The bytes written, in chunks of 16 KiB: a page grows without copying what it holds (a byte array doubling as it
   * filled was a twentieth of a catch-up read's CPU, most of it the copies of a page of ~350 KB), and it can be cut
   * back to a mark.
   */
  private static final class Chunks extends OutputStream {

    private static final int CHUNK = 16 * 1024;

    private final List<byte[]> chunks = new ArrayList<>();
    private int size;

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      int from = offset;
      int left = length;
      while (left > 0) {
        int at = size % CHUNK;
        if (size / CHUNK == chunks.size()) {
          chunks.add(new byte[CHUNK]);
        }
        int n = Math.min(left, CHUNK - at);
        System.arraycopy(bytes, from, chunks.get(size / CHUNK), at, n);
        from += n;
        left -= n;
        size += n;
      }
    }

    int size() {
      return size;
    }

    /** Cuts back to {@code at} bytes; the chunks past it are written over next. */
    void truncate(int at) {
      size = at;
    }

    /** Appends the bytes from {@code start} to {@code end} to {@code into}. */
    Buffer copy(int start, int end, Buffer into) {
      for (int at = start; at < end; ) {
        int n = Math.min(end - at, CHUNK - at % CHUNK);
        into.appendBytes(chunks.get(at / CHUNK), at % CHUNK, n);
        at += n;
      }
      return into;
    }
  }
}
