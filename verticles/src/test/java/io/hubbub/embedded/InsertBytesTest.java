package io.hubbub.embedded;

import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Decimal128;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.MaxKey;
import de.bwaldvogel.mongo.bson.MinKey;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The wire decoder keeping the bytes inserted documents came in: an insert's documents sent as a document sequence
 * are each kept by the document decoded from them, for the message being handled; nothing is kept for a document
 * without its own {@code _id}, for documents sent in the body, or for another command.
 */
class InsertBytesTest {

  private static byte[] bson(Document document) {
    ByteBuf buffer = Unpooled.buffer();
    BsonEncoder.encodeDocument(document, buffer);
    byte[] bytes = ByteBufUtil.getBytes(buffer);
    buffer.release();
    return bytes;
  }

  /** An OP_MSG: its body, then a document sequence named {@code sequence} of {@code documents} (none if null). */
  private static ByteBuf message(Document body, String sequence, List<byte[]> documents, boolean checksum) {
    ByteBuf frame = Unpooled.buffer();
    frame.writeIntLE(0).writeIntLE(7).writeIntLE(0).writeIntLE(2013); // length (set below), request id, response to, OP_MSG
    frame.writeIntLE(checksum ? 1 : 0);
    frame.writeByte(MongoMessage.SECTION_KIND_BODY).writeBytes(bson(body));
    if (sequence != null) {
      int start = frame.writerIndex();
      frame.writeByte(MongoMessage.SECTION_KIND_DOCUMENT_SEQUENCE).writeIntLE(0)
        .writeBytes(sequence.getBytes(StandardCharsets.US_ASCII)).writeByte(0);
      documents.forEach(frame::writeBytes);
      frame.setIntLE(start + 1, frame.writerIndex() - start - 1);
    }
    if (checksum) {
      frame.writeIntLE(0);
    }
    return frame.setIntLE(0, frame.readableBytes());
  }

  /** Decodes the frames, and for each message, while it is the one handled, what was kept for each of its documents. */
  private static List<List<byte[]>> kept(ByteBuf... frames) {
    List<List<byte[]>> kept = new ArrayList<>();
    EmbeddedChannel channel = new EmbeddedChannel(new InsertBytes(), new io.netty.channel.ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object message) {
        List<byte[]> each = new ArrayList<>();
        if (((MongoMessage) message).getDocument().get("documents") instanceof List<?> documents) {
          documents.forEach(d -> each.add(InsertBytes.take((Document) d)));
        }
        kept.add(each);
      }
    });
    for (ByteBuf frame : frames) {
      channel.writeInbound(frame);
    }
    channel.finishAndReleaseAll();
    InsertBytes.forget();
    return kept;
  }

  private static Document insert() {
    return new Document("insert", "buckets").append("ordered", true).append("$db", "hubbub");
  }

  @Test
  void anInsertsDocumentsAreKeptAsTheyCame() {
    List<Document> documents = List.of(new Document("_id", "app.s|1").append("n", 1).append("text", "é"),
      new Document("_id", "app.s|2").append("nested", new Document("a", List.of(1L, 2.5, "x"))));
    List<byte[]> sent = documents.stream().map(InsertBytesTest::bson).toList();
    List<byte[]> oneUnnamed = List.of(sent.get(0), bson(new Document("no id", true)));
    for (boolean checksum : new boolean[] {false, true}) {
      List<List<byte[]>> kept = kept(message(insert(), "documents", sent, checksum),
        message(insert(), "documents", oneUnnamed, checksum),
        message(new Document("find", "buckets").append("$db", "hubbub"), null, null, checksum));
      assertThat(kept).hasSize(3);
      assertThat(kept.get(0)).containsExactlyElementsOf(sent);
      assertThat(kept.get(1)).as("the store names one: all are encoded").containsExactly(null, null);
      assertThat(kept.get(2)).isEmpty();
    }
    assertThat(InsertBytes.take(documents.get(0))).as("a document decoded elsewhere").isNull();
  }

  /**
   * An insert whose documents were kept is journaled with them as they came, and its record, replayed, keeps them
   * again: decoded, the record is the command the library would have recorded.
   */
  @Test
  void aKeptInsertIsJournaledAsItCameAndReplayedSo() {
    List<byte[]> sent = new ArrayList<>(); // more than ten: array keys of two digits
    for (int i = 0; i < 12; i++) {
      sent.add(bson(i % 2 == 0 ? new Document("_id", "a" + i).append("v", i) : new Document("_id", "b" + i).append("w", "x")));
    }
    List<byte[]> replayed = new ArrayList<>();
    List<Document> recorded = new ArrayList<>();
    EmbeddedChannel channel = new EmbeddedChannel(new InsertBytes(), new io.netty.channel.ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object message) {
        Document query = ((MongoMessage) message).getDocument();
        ByteBuf record = InsertBytes.encodeCommand(query);
        assertThat(record).isNotNull();
        ByteBuf library = Unpooled.buffer();
        BsonEncoder.encodeDocument(query, library);
        assertThat(ByteBufUtil.getBytes(record)).as("byte for byte the library's encoding")
          .isEqualTo(ByteBufUtil.getBytes(library));
        InsertBytes.forget();
        Document decoded = InsertBytes.decodeRecord("insert", record);
        recorded.add(decoded);
        ((List<?>) decoded.get("documents")).forEach(d -> replayed.add(InsertBytes.take((Document) d)));
        record.release();
        library.release();
      }
    });
    channel.writeInbound(message(insert().append("writeConcern", new Document("j", true)), "documents", sent, false));
    channel.finishAndReleaseAll();
    InsertBytes.forget();
    assertThat(recorded).hasSize(1);
    assertThat(replayed).containsExactlyElementsOf(sent);

    Document unkept = insert().append("documents", List.of(new Document("_id", "c")));
    assertThat(InsertBytes.encodeCommand(unkept)).as("nothing kept: the library encodes it").isNull();
  }

  @Test
  void nothingIsKeptForOtherMessages() {
    List<byte[]> sent = List.of(bson(new Document("_id", "k").append("v", 1)));
    List<List<byte[]>> kept = kept(message(new Document("update", "buckets").append("$db", "hubbub"), "documents", sent, false),
      message(insert().append("documents", List.of(new Document("_id", "in the body"))), null, null, false),
      message(insert(), "other", sent, false));
    assertThat(kept.get(0)).as("not an insert").containsExactly((byte[]) null);
    assertThat(kept.get(1)).as("documents in the body").containsExactly((byte[]) null);
    assertThat(kept.get(2)).as("a sequence of another name").isEmpty();
  }

  /** A document of the types the library decodes, with embedded documents and arrays nested in it. */
  private static Document everyType() {
    Document nested = new Document("a", List.of(1L, 2.5, "x", new Document("b", true).append("c", List.of())))
      .append("when", Instant.ofEpochMilli(1_700_000_000_000L)).append("none", null).append("id", new ObjectId())
      .append("bin", new BinData(new byte[] {1, 2})).append("uuid", UUID.randomUUID()).append("i", 7).append("l", 8L)
      .append("dec", new Decimal128(1, 2)).append("ts", new BsonTimestamp(5L))
      .append("re", new BsonRegularExpression("a.*", "i")).append("max", MaxKey.getInstance())
      .append("min", MinKey.getInstance());
    return new Document("_id", new Document("k", 1)).append("d", 2.5).append("s", "é").append("nested", nested)
      .append("list", List.of(List.of("x"), new Document("y", 1))).append("n", 3);
  }

  /**
   * An insert's documents are decoded as deep as the store looks: top-level fields, and embedded documents and arrays
   * only when the collection asks for them, then exactly as the library decodes them.
   */
  @Test
  void anInsertIsDecodedAsDeepAsTheStoreLooks() {
    byte[] sent = bson(everyType());
    List<Document> decoded = new ArrayList<>();
    EmbeddedChannel channel = new EmbeddedChannel(new InsertBytes(), new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object message) {
        Document document = (Document) ((List<?>) ((MongoMessage) message).getDocument().get("documents")).get(0);
        assertThat(InsertBytes.take(document)).isEqualTo(sent);
        decoded.add(document);
      }
    });
    channel.writeInbound(message(insert(), "documents", List.of(sent), false));
    channel.finishAndReleaseAll();
    InsertBytes.forget();
    Document library = BsonDecoder.decodeBson(Unpooled.wrappedBuffer(sent));

    Document document = decoded.get(0);
    assertThat(document.keySet()).as("every field, in order").containsExactlyElementsOf(library.keySet());
    assertThat(document.get("_id")).isEqualTo(library.get("_id"));
    assertThat(document.get("s")).isEqualTo("é");
    assertThat(document.get("nested")).isInstanceOf(InsertBytes.Deferred.class);
    assertThat(document.get("list")).isInstanceOf(InsertBytes.Deferred.class);
    InsertBytes.complete(document, Set.of("list"));
    assertThat(document.get("list")).isEqualTo(library.get("list"));
    assertThat(document.get("nested")).isInstanceOf(InsertBytes.Deferred.class);
    InsertBytes.complete(document, null);
    assertThat(bson(document)).as("as the library decodes it (some of its types compare by identity)")
      .isEqualTo(bson(library));
  }

  /**
   * Nothing is left undecoded that the library would refuse: of every change of one byte to a document, those whose
   * embedded parts would be left undecoded ({@link InsertBytes#checkDocument} takes them) the library decodes, and
   * one it refuses is refused as the library refuses it.
   */
  @Test
  void nothingTheLibraryRefusesIsLeftUndecoded() {
    byte[] sent = bson(everyType());
    assertThat(InsertBytes.checkDocument(sent, 0, sent.length)).isEqualTo(sent.length);
    int taken = 0;
    int refused = 0;
    for (int at = 4; at < sent.length; at++) {
      for (int value : new int[] {0, 1, 2, '0', '1', 0x7f, 0xff, sent[at] + 1}) {
        byte[] changed = sent.clone();
        changed[at] = (byte) value;
        if (InsertBytes.checkDocument(changed, 0, changed.length) == changed.length) {
          taken++;
          assertThat(BsonDecoder.decodeBson(Unpooled.wrappedBuffer(changed)))
            .as("byte %d made %d", at, value).isNotNull();
        } else {
          refused++;
        }
      }
    }
    assertThat(taken).as("changes to values the library takes").isPositive();
    assertThat(refused).isPositive();
    for (int size = 5; size < sent.length; size++) {
      assertThat(InsertBytes.checkDocument(sent, 0, size)).as("cut at %d", size).isEqualTo(-1);
    }

    // a name that comes twice, at the top or inside, is left to the library
    for (Document named : List.of(new Document("_id", "a").append("xb", 1).append("xc", "two"),
      new Document("_id", "a").append("n", new Document("z", 0).append("xb", 1).append("y", true).append("xc", 2L)))) {
      byte[] twice = bson(named);
      assertThat(InsertBytes.checkDocument(twice, 0, twice.length)).isEqualTo(twice.length);
      int c = new String(twice, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("xc\0");
      twice[c + 1] = 'b';
      assertThat(InsertBytes.checkDocument(twice, 0, twice.length)).as("'xb' twice in %s", named).isEqualTo(-1);
    }

    byte[] badBoolean = bson(new Document("_id", "a").append("n", new Document("b", true)));
    badBoolean[badBoolean.length - 3] = 2; // the boolean's byte, then the end of "n", then of the document
    assertThatThrownBy(() -> kept(message(insert(), "documents", List.of(badBoolean), false)))
      .as("the library's refusal").hasMessageContaining("Illegal boolean value");
  }

  /** A publisher's items, or its failure. */
  private static <T> List<T> all(org.reactivestreams.Publisher<T> publisher) throws Exception {
    java.util.concurrent.CompletableFuture<List<T>> done = new java.util.concurrent.CompletableFuture<>();
    List<T> items = new ArrayList<>();
    publisher.subscribe(new org.reactivestreams.Subscriber<T>() {
      @Override
      public void onSubscribe(org.reactivestreams.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(T item) {
        items.add(item);
      }

      @Override
      public void onError(Throwable failure) {
        done.completeExceptionally(failure);
      }

      @Override
      public void onComplete() {
        done.complete(items);
      }
    });
    return done.get(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  /**
   * Through the store, with the MongoDB driver: a document inserted with its own {@code _id} is stored as the bytes it
   * was sent in, so a value the library would decode into another type (BSON's undefined, which it makes a null)
   * comes back as it was sent from a find answered with the stored bytes; a find the library answers decodes it.
   */
  @Test
  @org.junit.jupiter.api.Timeout(60)
  void throughTheStoreADocumentIsStoredAsItWasSent() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("hubbub-insert-bytes");
    try (EmbeddedStore store = EmbeddedStore.start(dir.resolve("data"));
         com.mongodb.reactivestreams.client.MongoClient client = com.mongodb.reactivestreams.client.MongoClients.create(store.uri())) {
      var collection = client.getDatabase("t").getCollection("docs", org.bson.BsonDocument.class);
      org.bson.BsonDocument sent = new org.bson.BsonDocument("_id", new org.bson.BsonString("kept"))
        .append("v", new org.bson.BsonUndefined()).append("n", new org.bson.BsonInt64(7));
      all(collection.insertOne(sent));

      var raw = client.getDatabase("t").getCollection("docs", org.bson.RawBsonDocument.class);
      List<org.bson.RawBsonDocument> found = all(raw.find(com.mongodb.client.model.Filters.in("_id", "kept")));
      assertThat(found).hasSize(1);
      assertThat(found.get(0).get("v").getBsonType()).as("as sent").isEqualTo(org.bson.BsonType.UNDEFINED);
      assertThat(found.get(0).getInt64("n").getValue()).isEqualTo(7);
      List<org.bson.RawBsonDocument> decoded = all(raw.find(com.mongodb.client.model.Filters.eq("n", 7L)));
      assertThat(decoded).hasSize(1);
      assertThat(decoded.get(0).get("v").getBsonType()).as("decoded by the library").isEqualTo(org.bson.BsonType.NULL);

      Thread.sleep(DurableH2Backend.CHECKPOINT_MS + 1_500); // the first in the store's file, by a checkpoint
      // answered once its record is durable, as storage asks for every write (a write without j is answered before)
      all(collection.withWriteConcern(com.mongodb.WriteConcern.JOURNALED).insertOne(
        new org.bson.BsonDocument("_id", new org.bson.BsonString("journaled")).append("v", new org.bson.BsonUndefined())));
      crashImage(dir.resolve("data"), dir.resolve("crash")); // the second, most likely, only in its journal
    }
    try (EmbeddedStore recovered = EmbeddedStore.start(dir.resolve("crash"));
         com.mongodb.reactivestreams.client.MongoClient client = com.mongodb.reactivestreams.client.MongoClients.create(recovered.uri())) {
      var raw = client.getDatabase("t").getCollection("docs", org.bson.RawBsonDocument.class);
      List<org.bson.RawBsonDocument> found = all(raw.find(com.mongodb.client.model.Filters.in("_id", "kept", "journaled")));
      assertThat(found).hasSize(2);
      for (org.bson.RawBsonDocument document : found) {
        assertThat(document.get("v").getBsonType()).as("%s after a crash", document.get("_id")).isEqualTo(org.bson.BsonType.UNDEFINED);
      }
    } finally {
      io.hubbub.support.TestFiles.deleteTree(dir);
    }
  }

  /**
   * Through the store: the indexes of a collection see the embedded fields they read (a path into an embedded
   * document, an array of keys), decoded for them, so their unique keys hold; what is stored is all of what was sent.
   */
  @Test
  @org.junit.jupiter.api.Timeout(60)
  void throughTheStoreIndexesReadTheEmbeddedFieldsTheyNeed() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("hubbub-insert-indexes");
    try (EmbeddedStore store = EmbeddedStore.start(dir.resolve("data"));
         var client = com.mongodb.reactivestreams.client.MongoClients.create(store.uri())) {
      var collection = client.getDatabase("t").getCollection("docs", org.bson.Document.class);
      var unique = new com.mongodb.client.model.IndexOptions().unique(true);
      all(collection.createIndex(new org.bson.Document("meta.key", 1), unique));
      all(collection.createIndex(new org.bson.Document("tags", 1), unique));
      org.bson.Document first = new org.bson.Document("_id", 1).append("meta", new org.bson.Document("key", "k1"))
        .append("tags", List.of("a", "b")).append("body", new org.bson.Document("events", List.of(1, 2, 3)));
      all(collection.insertOne(first));

      org.bson.Document sameKey = new org.bson.Document("_id", 2).append("meta", new org.bson.Document("key", "k1"))
        .append("tags", List.of("c"));
      org.bson.Document sameTag = new org.bson.Document("_id", 3).append("meta", new org.bson.Document("key", "k3"))
        .append("tags", List.of("x", "b"));
      for (org.bson.Document refused : List.of(sameKey, sameTag)) {
        assertThatThrownBy(() -> all(collection.insertOne(refused))).as("%s", refused.get("_id"))
          .hasMessageContaining("E11000");
      }
      all(collection.insertOne(new org.bson.Document("_id", 4).append("meta", new org.bson.Document("key", "k4"))
        .append("tags", List.of("d"))));

      List<org.bson.Document> found = all(collection.find(com.mongodb.client.model.Filters.eq("meta.key", "k1")));
      assertThat(found).containsExactly(first);
      assertThat(all(collection.find(com.mongodb.client.model.Filters.eq("tags", "d")))).hasSize(1);
      assertThat(all(collection.countDocuments())).containsExactly(2L);
    } finally {
      io.hubbub.support.TestFiles.deleteTree(dir);
    }
  }

  /** The data folder as a SIGKILL leaves it: its journal copied first, then its file (as JournaledStoreTest does). */
  private static void crashImage(java.nio.file.Path data, java.nio.file.Path image) throws java.io.IOException {
    java.nio.file.Files.createDirectories(image.resolve(Journal.DIR));
    for (java.nio.file.Path segment : Journal.segments(data.resolve(Journal.DIR))) {
      try {
        java.nio.file.Files.copy(segment, image.resolve(Journal.DIR).resolve(segment.getFileName()));
      } catch (java.nio.file.NoSuchFileException deleted) {
        // a checkpoint that holds its records deleted it meanwhile: the file copied next holds them
      }
    }
    try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(data)) {
      for (java.nio.file.Path file : files.filter(java.nio.file.Files::isRegularFile).toList()) {
        java.nio.file.Files.copy(file, image.resolve(file.getFileName()));
      }
    }
  }
}
