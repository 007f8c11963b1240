package io.hubbub.storage;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.WriteConcern;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.connection.TransportSettings;
import com.mongodb.event.CommandListener;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import io.netty.channel.EventLoopGroup;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.WriteOption;
import io.vertx.ext.mongo.impl.codec.json.JsonObjectCodec;
import org.bson.BsonArray;
import org.bson.BsonBinaryWriter;
import org.bson.BsonWriter;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.RawBsonDocument;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * The buckets collection as BSON bytes ({@link RawBsonDocument}), through the MongoDB driver's own reactive-streams
 * client: history reads and bucket inserts, the two calls whose cost grows with the events they carry.
 *
 * <p>Reads: vertx-mongo-client answers only {@code JsonObject}s, and building those (a map per event and per payload,
 * a string per name and value) was the largest share of a catch-up read's CPU once the store answered stored bytes;
 * {@link EventPage} writes each event's JSON straight from the bytes.
 *
 * <p>Inserts: each bucket is encoded here, once, into a heap buffer, written straight from the events with each
 * event's data encoded by the codec vertx-mongo-client uses (so the stored bytes are the same as through that
 * client), and the driver copies those bytes into its message whole. Through
 * vertx-mongo-client the driver encoded the {@code JsonObject} itself into its pooled direct buffers, a reference
 * count check per byte of every string: the largest single cost of an append of 1,000 events.
 *
 * <p>The client has its own connections to the same store, from the same connection string, on the event loop of the
 * verticle that made it (on any of Vert.x's loops when made off one); each answer is handed to the Vert.x context that
 * asked, which on that loop takes no thread switch.
 */
final class RawBuckets {

  /** vertx-mongo-client's codec, as its client is configured here (ids as given, never made into ObjectIds). */
  private static final JsonObjectCodec CODEC = new JsonObjectCodec(new JsonObject());
  private static final EncoderContext COLLECTIBLE = EncoderContext.builder().isEncodingCollectibleDocument(true).build();
  /** The largest buffer made up front for a write of buckets; a larger write grows it. */
  private static final int MAX_PRESIZE = 16 << 20;

  private final Vertx vertx;
  private final MongoClient client;
  private final MongoCollection<RawBsonDocument> buckets;
  /**
   * The BSON bytes an event took in the last buckets encoded: the next write's buffer is sized from it, so a batch of
   * 1,000 events is written into one buffer made once, not into one grown by doubling from 4 KB (the copies were 7% of
   * what appends in batches allocated). Read and written by whichever thread encodes: a stale value only sizes a
   * buffer less well.
   */
  private volatile int bytesPerEvent = 256;

  RawBuckets(Vertx vertx, String uri, String database, long timeoutMs, int poolSize) {
    this(vertx, uri, database, timeoutMs, poolSize, null);
  }

  /** As above, with {@code commands} told of every command the client sends (tests: which thread reads answers). */
  RawBuckets(Vertx vertx, String uri, String database, long timeoutMs, int poolSize, CommandListener commands) {
    this.vertx = vertx;
    MongoClientSettings.Builder settings = MongoClientSettings.builder()
      .applyConnectionString(new ConnectionString(uri))
      .applyToClusterSettings(b -> b.serverSelectionTimeout(timeoutMs, TimeUnit.MILLISECONDS))
      .applyToSocketSettings(b -> b.connectTimeout(timeoutMs, TimeUnit.MILLISECONDS))
      .applyToConnectionPoolSettings(b -> b.maxSize(poolSize));
    if (commands != null) {
      settings.addCommandListener(commands);
    }
    if (!vertx.isNativeTransportEnabled()) {
      // Netty on Vert.x's own event loops, as vertx-mongo-client's connections are, and when made on an event loop
      // (storage's verticle) on that loop alone: an answer is read by the thread that asked and goes on there, where
      // on any other loop it was read and then handed over (one publisher: ~3.5 thread switches fewer an append,
      // bench/README "Append"). The driver's default (the JDK's asynchronous channels) passed each answer between
      // the threads of its own pool first: some four thread switches and ~60 µs of CPU more an insert of one
      // document (`perf stat` here). (Under the native transport the loops' channels are not the NIO ones the
      // driver makes, and it keeps its default.)
      ContextInternal caller = ((VertxInternal) vertx).getContext();
      EventLoopGroup loops = caller != null && caller.isEventLoopContext() ? caller.nettyEventLoop()
        : ((VertxInternal) vertx).nettyEventLoopGroup();
      settings.transportSettings(TransportSettings.nettyBuilder().eventLoopGroup(loops).build());
    }
    client = MongoClients.create(settings.build());
    buckets = client.getDatabase(database).getCollection(EventStore.BUCKETS, RawBsonDocument.class);
  }

  /**
   * The buckets of {@code keys} that exist, with the top-level {@code fields} named (their {@code _id} not), answered
   * on the caller's Vert.x context.
   */
  Future<List<RawBsonDocument>> find(Collection<String> keys, String... fields) {
    BsonArray in = new BsonArray(new ArrayList<>(keys.size()));
    for (String key : keys) {
      in.add(new BsonString(key));
    }
    BsonDocument projection = new BsonDocument("_id", new BsonInt32(0));
    for (String field : fields) {
      projection.append(field, new BsonInt32(1));
    }
    return all(buckets.find(new BsonDocument("_id", new BsonDocument("$in", in))).projection(projection));
  }

  /**
   * Inserts the buckets of {@code chunks} (each consecutive events of one stream, in seq order: the document
   * {@link EventStore#bucket} makes of them), in order, as one bulk write with {@code writes} as its write concern
   * ({@code null}: the connection string's), answered on the caller's Vert.x context once the store acknowledged it.
   * A failure is the driver's (a duplicate key is a {@link com.mongodb.MongoBulkWriteException}, as through
   * vertx-mongo-client).
   */
  Future<Void> insertBuckets(List<Chunk> chunks, WriteOption writes) {
    int events = 0;
    for (Chunk chunk : chunks) {
      events += chunk.events().size();
    }
    long expected = (long) events * bytesPerEvent;
    List<RawBsonDocument> documents = encode(chunks,
      (writer, chunk) -> writeBucket(writer, chunk.stream(), chunk.events(), chunk.idGiven(), chunk.ownKey()),
      (int) Math.min(MAX_PRESIZE, expected + expected / 4 + 512));
    if (events > 0) {
      long bytes = 0;
      for (RawBsonDocument document : documents) {
        bytes += document.getByteBuffer().remaining();
      }
      bytesPerEvent = (int) Math.max(1, bytes / events);
    }
    return insertEncoded(documents, writes);
  }

  /** As {@link #insertBuckets}, for any documents, each encoded by vertx-mongo-client's codec. */
  Future<Void> insert(List<JsonObject> documents, WriteOption writes) {
    return insertEncoded(encode(documents), writes);
  }

  private Future<Void> insertEncoded(List<RawBsonDocument> documents, WriteOption writes) {
    List<InsertOneModel<RawBsonDocument>> inserts = new ArrayList<>(documents.size());
    for (RawBsonDocument document : documents) {
      inserts.add(new InsertOneModel<>(document));
    }
    MongoCollection<RawBsonDocument> into = writes == null ? buckets : buckets.withWriteConcern(concern(writes));
    return all(into.bulkWrite(inserts, new BulkWriteOptions().ordered(true))).mapEmpty();
  }

  /**
   * Consecutive events of one stream, in seq order, that are one bucket; the ids {@code idGiven} holds are indexed, and
   * the bucket's own key if {@code ownKey} ({@link EventStore#ownKeys()}).
   */
  record Chunk(String stream, List<JsonObject> events, Predicate<JsonObject> idGiven, boolean ownKey) {
  }

  /** Documents' BSON, byte for byte as vertx-mongo-client writes them ({@link #encode(List, BiConsumer, int)}). */
  static List<RawBsonDocument> encode(List<JsonObject> documents) {
    return encode(documents, (writer, document) -> CODEC.encode(writer, document, COLLECTIBLE), 4 * 1024);
  }

  /**
   * Documents' BSON, each written by {@code write}, one after the other in one buffer of {@code initialSize} bytes
   * that doubles as it fills (a buffer per 30 KB bucket, each growing from small, was copied over and over).
   */
  static <T> List<RawBsonDocument> encode(List<T> documents, BiConsumer<BsonWriter, T> write, int initialSize) {
    AsciiOutputBuffer buffer = new AsciiOutputBuffer(initialSize);
    int[] ends = new int[documents.size()];
    try (BsonBinaryWriter writer = new BsonBinaryWriter(buffer)) {
      for (int i = 0; i < ends.length; i++) {
        write.accept(writer, documents.get(i));
        ends[i] = buffer.getPosition();
      }
    }
    byte[] bytes = buffer.getInternalBuffer(); // the documents share it, each its own range
    List<RawBsonDocument> encoded = new ArrayList<>(ends.length);
    for (int i = 0; i < ends.length; i++) {
      int start = i == 0 ? 0 : ends[i - 1];
      encoded.add(new RawBsonDocument(bytes, start, ends[i] - start));
    }
    return encoded;
  }

  /**
   * The document {@link EventStore#bucket} makes of a stream's events, written straight as its BSON: byte for byte
   * what vertx-mongo-client's codec writes of that document (each event's {@code data} is written by that codec), but
   * without a JSON object per event and a map entry per field made first, only for the codec to take them apart again.
   * {@code BucketBsonTest} holds the two to the same bytes.
   */
  static void writeBucket(BsonWriter writer, String stream, List<JsonObject> events, Predicate<JsonObject> idGiven,
                          boolean ownKey) {
    long first = events.get(0).getLong("seq");
    JsonObject newest = events.get(events.size() - 1);
    String id = EventStore.key(stream, first);
    writer.writeStartDocument();
    writer.writeString("_id", id);
    writer.writeString("stream", stream);
    writer.writeInt64("first", first);
    writeLong(writer, "last", newest.getLong("seq"));
    writeString(writer, "ts", newest.getString("ts"));
    boolean sids = ownKey;
    if (ownKey) {
      writer.writeStartArray("sids");
      writer.writeString(EventStore.ownKey(id));
    }
    for (JsonObject event : events) {
      if (idGiven.test(event)) {
        if (!sids) {
          writer.writeStartArray("sids");
          sids = true;
        }
        writer.writeString(EventStore.idKey(stream, event.getString("id")));
      }
    }
    if (sids) {
      writer.writeEndArray();
    }
    writer.writeStartArray("events");
    for (JsonObject event : events) {
      writer.writeStartDocument();
      writeLong(writer, "seq", event.getLong("seq"));
      writeString(writer, "id", event.getString("id"));
      writeString(writer, "type", event.getString("type"));
      JsonObject data = event.getJsonObject("data");
      writer.writeName("data");
      if (data == null) {
        writer.writeNull();
      } else {
        CODEC.encode(writer, data, COLLECTIBLE);
      }
      writeString(writer, "by", event.getString("by"));
      writeString(writer, "ts", event.getString("ts"));
      writer.writeEndDocument();
    }
    writer.writeEndArray();
    writer.writeEndDocument();
  }

  /** A string field, or a null one where the value is null, as the codec writes a JSON object's null. */
  private static void writeString(BsonWriter writer, String name, String value) {
    if (value == null) {
      writer.writeNull(name);
    } else {
      writer.writeString(name, value);
    }
  }

  private static void writeLong(BsonWriter writer, String name, Long value) {
    if (value == null) {
      writer.writeNull(name);
    } else {
      writer.writeInt64(name, value);
    }
  }

  /**
   * The driver's heap buffer, writing a string of ASCII characters (names, ids, stream names, times: nearly every
   * string of a bucket) in one copy. The driver's own way writes every string a character at a time, each a call
   * that checks the buffer is open and large enough: one of the two costliest frames of storage's event loop in
   * appends of 1,000 events. Any other string is written the driver's way, so the bytes are the same.
   */
  static final class AsciiOutputBuffer extends BasicOutputBuffer {

    private byte[] ascii = new byte[64];

    AsciiOutputBuffer(int initialSize) {
      super(initialSize);
    }

    @Override
    protected int writeCharacters(String str, boolean checkForNullCharacters) {
      int length = str.length();
      if (ascii.length <= length) {
        ascii = new byte[Math.max(length + 1, 2 * ascii.length)];
      }
      byte[] bytes = ascii;
      for (int i = 0; i < length; i++) {
        char c = str.charAt(i);
        if (c >= 0x80 || c == 0) { // the driver's way: UTF-8, and a NUL refused in a name, written in a string
          return super.writeCharacters(str, checkForNullCharacters);
        }
        bytes[i] = (byte) c;
      }
      bytes[length] = 0;
      writeBytes(bytes, 0, length + 1);
      return length + 1;
    }
  }

  private static WriteConcern concern(WriteOption writes) {
    return switch (writes) {
      case ACKNOWLEDGED -> WriteConcern.ACKNOWLEDGED;
      case UNACKNOWLEDGED -> WriteConcern.UNACKNOWLEDGED;
      case FSYNCED, JOURNALED -> WriteConcern.JOURNALED;
      case REPLICA_ACKNOWLEDGED -> WriteConcern.W2;
      case MAJORITY -> WriteConcern.MAJORITY;
    };
  }

  /**
   * Everything a publisher emits, answered on the caller's context (the one it has, or one made for it). The answer
   * is a promise of that context, not a bare one: its listeners run there whichever driver thread completes it, and a
   * timeout put on its future ({@link StoreCalls#guard}) is a timer of the context's own event loop. The timeout of a
   * future of no context is scheduled, and cancelled, on Netty's global executor: a thread woken twice for every
   * store call, and started again whenever it has idled for a second.
   */
  private <T> Future<List<T>> all(Publisher<T> publisher) {
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    Promise<List<T>> answer = context.promise();
    publisher.subscribe(new Subscriber<>() {
      private final List<T> found = new ArrayList<>();

      @Override
      public void onSubscribe(Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(T item) {
        found.add(item);
      }

      @Override
      public void onError(Throwable failure) {
        answer.tryFail(failure);
      }

      @Override
      public void onComplete() {
        answer.tryComplete(found);
      }
    });
    return answer.future();
  }

  /** Closes its connections (blocking: call it off the event loop). */
  void close() {
    client.close();
  }
}
