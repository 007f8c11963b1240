package io.hubbub.storage;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.RawBsonDocument;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads of history as the store answers them, each document its BSON bytes ({@link RawBsonDocument}), through the
 * MongoDB driver's own reactive-streams client: vertx-mongo-client answers only {@code JsonObject}s, and building
 * those (a map per event and per payload, a string per name and value) was the largest share of a catch-up read's
 * CPU once the store answered stored bytes. {@link EventPage} writes each event's JSON straight from the bytes.
 * The client has its own connections to the same store, from the same connection string; the driver's threads
 * decode replies, and each answer is handed to the Vert.x context that asked.
 */
final class RawReads {

  private final Vertx vertx;
  private final MongoClient client;
  private final MongoCollection<RawBsonDocument> buckets;

  RawReads(Vertx vertx, String uri, String database, long timeoutMs, int poolSize) {
    this.vertx = vertx;
    MongoClientSettings settings = MongoClientSettings.builder()
      .applyConnectionString(new ConnectionString(uri))
      .applyToClusterSettings(b -> b.serverSelectionTimeout(timeoutMs, TimeUnit.MILLISECONDS))
      .applyToSocketSettings(b -> b.connectTimeout(timeoutMs, TimeUnit.MILLISECONDS))
      .applyToConnectionPoolSettings(b -> b.maxSize(poolSize))
      .build();
    client = MongoClients.create(settings);
    buckets = client.getDatabase(database).getCollection(EventStore.BUCKETS, RawBsonDocument.class);
  }

  /**
   * The buckets of {@code keys} that exist, with the top-level {@code fields} named (their {@code _id} not), answered
   * on the caller's Vert.x context.
   */
  Future<List<RawBsonDocument>> buckets(Collection<String> keys, String... fields) {
    BsonArray in = new BsonArray(new ArrayList<>(keys.size()));
    for (String key : keys) {
      in.add(new BsonString(key));
    }
    BsonDocument projection = new BsonDocument("_id", new BsonInt32(0));
    for (String field : fields) {
      projection.append(field, new BsonInt32(1));
    }
    Context context = vertx.getOrCreateContext(); // the caller's, where it has one
    Promise<List<RawBsonDocument>> answer = Promise.promise();
    buckets.find(new BsonDocument("_id", new BsonDocument("$in", in))).projection(projection)
      .subscribe(new Subscriber<>() {
        private final List<RawBsonDocument> found = new ArrayList<>();

        @Override
        public void onSubscribe(Subscription subscription) {
          subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(RawBsonDocument bucket) {
          found.add(bucket);
        }

        @Override
        public void onError(Throwable failure) {
          context.runOnContext(v -> answer.fail(failure));
        }

        @Override
        public void onComplete() {
          context.runOnContext(v -> answer.complete(found));
        }
      });
    return answer.future();
  }

  /** Closes its connections (blocking: call it off the event loop). */
  void close() {
    client.close();
  }
}
