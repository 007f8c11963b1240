package io.hubbub.storage;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.WriteConcern;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.connection.TransportSettings;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
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

/**
 * The buckets collection as BSON bytes ({@link RawBsonDocument}), through the MongoDB driver's own reactive-streams
 * client: history reads and bucket inserts, the two calls whose cost grows with the events they carry.
 *
 * <p>Reads: vertx-mongo-client answers only {@code JsonObject}s, and building those (a map per event and per payload,
 * a string per name and value) was the largest share of a catch-up read's CPU once the store answered stored bytes;
 * {@link EventPage} writes each event's JSON straight from the bytes.
 *
 * <p>Inserts: each bucket is encoded here, once, into a heap buffer by the same codec vertx-mongo-client uses (so
 * the stored bytes are the same), and the driver copies those bytes into its message whole. Through
 * vertx-mongo-client the driver encoded the {@code JsonObject} itself into its pooled direct buffers, a reference
 * count check per byte of every string: the largest single cost of an append of 1,000 events.
 *
 * <p>The client has its own connections to the same store, from the same connection string, on Vert.x's event loops;
 * each answer is handed to the Vert.x context that asked.
 */
final class RawBuckets {

  /** vertx-mongo-client's codec, as its client is configured here (ids as given, never made into ObjectIds). */
  private static final JsonObjectCodec CODEC = new JsonObjectCodec(new JsonObject());
  private static final EncoderContext COLLECTIBLE = EncoderContext.builder().isEncodingCollectibleDocument(true).build();

  private final Vertx vertx;
  private final MongoClient client;
  private final MongoCollection<RawBsonDocument> buckets;

  RawBuckets(Vertx vertx, String uri, String database, long timeoutMs, int poolSize) {
    this.vertx = vertx;
    MongoClientSettings.Builder settings = MongoClientSettings.builder()
      .applyConnectionString(new ConnectionString(uri))
      .applyToClusterSettings(b -> b.serverSelectionTimeout(timeoutMs, TimeUnit.MILLISECONDS))
      .applyToSocketSettings(b -> b.connectTimeout(timeoutMs, TimeUnit.MILLISECONDS))
      .applyToConnectionPoolSettings(b -> b.maxSize(poolSize));
    if (!vertx.isNativeTransportEnabled()) {
      // Netty on Vert.x's own event loops, as vertx-mongo-client's connections are: an answer is read by the loop
      // its connection is on and handed to the caller's. The driver's default (the JDK's asynchronous channels)
      // passes each answer between the threads of its own pool first: some four thread switches and ~60 µs of CPU
      // more an insert of one document (`perf stat` here). (Under the native transport the loops' channels are not
      // the NIO ones the driver makes, and it keeps its default.)
      settings.transportSettings(TransportSettings.nettyBuilder()
        .eventLoopGroup(((VertxInternal) vertx).nettyEventLoopGroup()).build());
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
   * Inserts buckets, in order, as one bulk write with {@code writes} as its write concern ({@code null}: the
   * connection string's), answered on the caller's Vert.x context once the store acknowledged it. A failure is the
   * driver's (a duplicate key is a {@link com.mongodb.MongoBulkWriteException}, as through vertx-mongo-client).
   */
  Future<Void> insert(List<JsonObject> documents, WriteOption writes) {
    List<InsertOneModel<RawBsonDocument>> inserts = new ArrayList<>(documents.size());
    for (RawBsonDocument document : encode(documents)) {
      inserts.add(new InsertOneModel<>(document));
    }
    MongoCollection<RawBsonDocument> into = writes == null ? buckets : buckets.withWriteConcern(concern(writes));
    return all(into.bulkWrite(inserts, new BulkWriteOptions().ordered(true))).mapEmpty();
  }

  /**
   * Documents' BSON, byte for byte as vertx-mongo-client writes them, one after the other in one buffer: it doubles
   * as it fills, so a write of one event allocates little and one of 1,000 (some 200 KB) copies less than it holds
   * (a buffer per 30 KB bucket, each growing from small, was copied over and over).
   */
  static List<RawBsonDocument> encode(List<JsonObject> documents) {
    BasicOutputBuffer buffer = new BasicOutputBuffer(4 * 1024);
    int[] ends = new int[documents.size()];
    try (BsonBinaryWriter writer = new BsonBinaryWriter(buffer)) {
      for (int i = 0; i < ends.length; i++) {
        CODEC.encode(writer, documents.get(i), COLLECTIBLE);
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
