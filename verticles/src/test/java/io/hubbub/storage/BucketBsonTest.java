package io.hubbub.storage;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.impl.codec.json.JsonObjectCodec;
import org.bson.BsonBinaryWriter;
import org.bson.BsonSerializationException;
import org.bson.ByteBuf;
import org.bson.RawBsonDocument;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A bucket written straight as BSON ({@link RawBuckets#writeBucket}, through {@link RawBuckets.AsciiOutputBuffer}) is
 * byte for byte what vertx-mongo-client's codec writes, into the driver's own buffer, of the document
 * {@link EventStore#bucket} makes of the same events: whatever the strings hold, whichever fields are null or absent.
 */
class BucketBsonTest {

  private static final JsonObjectCodec CODEC = new JsonObjectCodec(new JsonObject());
  private static final EncoderContext COLLECTIBLE = EncoderContext.builder().isEncodingCollectibleDocument(true).build();

  /** The codec's bytes of {@code document}, in the driver's buffer, as vertx-mongo-client would write it. */
  private static byte[] byTheCodec(JsonObject document) {
    BasicOutputBuffer buffer = new BasicOutputBuffer();
    try (BsonBinaryWriter writer = new BsonBinaryWriter(buffer)) {
      CODEC.encode(writer, document, COLLECTIBLE);
    }
    return buffer.toByteArray();
  }

  /** A document's own range of the buffer it shares. */
  private static byte[] bytes(RawBsonDocument document) {
    ByteBuf range = document.getByteBuffer();
    return Arrays.copyOfRange(range.array(), range.position(), range.position() + range.remaining());
  }

  private static byte[] written(String stream, List<JsonObject> events) {
    return written(stream, events, EventStore.EVERY_ID);
  }

  private static byte[] written(String stream, List<JsonObject> events, Predicate<JsonObject> idGiven) {
    return written(stream, events, idGiven, true);
  }

  private static byte[] written(String stream, List<JsonObject> events, Predicate<JsonObject> idGiven, boolean ownKey) {
    return bytes(RawBuckets.encode(List.of(events),
      (writer, bucket) -> RawBuckets.writeBucket(writer, stream, bucket, idGiven, ownKey), 16).get(0));
  }

  private static JsonObject event(long seq, String id, String type, Object data, String by, String ts) {
    return new JsonObject().put("stream", "s").put("seq", seq).put("id", id).put("type", type).put("data", data)
      .put("by", by).put("ts", ts);
  }

  @Test
  void aBucketIsTheCodecsBytesOfItsDocument() {
    String lone = "lone \uD800 surrogate";
    List<JsonObject> events = List.of(
      event(7, "0190f3c1-aaaa-7bbb-8ccc-000000000001", "NOTE",
        new JsonObject().put("text", "plain").put("n", 1).put("big", 1L << 40).put("x", 1.5).put("yes", true)
          .put("none", (Object) null), "alice", "2026-12-04T22:00:00.000Z"),
      event(8, "id-2", "Grüße", new JsonObject().put("text", "héllo wörld 😀").put("nul", "a\0b").put("lone", lone)
        .put("nested", new JsonObject().put("list", new JsonArray().add(1).add("two").add(new JsonObject().put("k", "v"))
          .add(new JsonArray()).addNull())), "bøb", "2026-12-04T22:00:00.001Z"),
      event(9, "id-3", "WITH_ID", new JsonObject().put("a", 1).put("_id", "comes first"), null, null),
      event(10, "id-4", "NO_DATA", null, "carol", "2026-12-04T22:00:00.003Z"),
      new JsonObject().put("stream", "s").put("seq", 11).put("id", "id-5").put("type", "ABSENT")
        .put("data", new JsonObject().put("long", "x".repeat(5_000)).put("longer", "ü".repeat(3_000)))
    );
    String stream = "app.chat:room-1";
    assertArrayEquals(byTheCodec(EventStore.bucket(stream, events)), written(stream, events));
    for (int i = 0; i < events.size(); i++) {
      List<JsonObject> one = events.subList(i, i + 1);
      assertArrayEquals(byTheCodec(EventStore.bucket(stream, one)), written(stream, one), "event " + i + " alone");
    }
    // only the ids publishers gave are indexed, after the bucket's own key where the index is not sparse
    Predicate<JsonObject> given = e -> e.getString("id").startsWith("id-");
    JsonArray givenKeys = new JsonArray().add("id-2|" + stream).add("id-3|" + stream).add("id-4|" + stream)
      .add("id-5|" + stream);
    String own = "|" + EventStore.key(stream, 7);
    for (boolean ownKey : List.of(true, false)) {
      JsonObject withIds = EventStore.bucket(stream, events, given, ownKey);
      assertArrayEquals(byTheCodec(withIds), written(stream, events, given, ownKey), "own key " + ownKey);
      assertEquals(ownKey ? new JsonArray().add(own).addAll(givenKeys) : givenKeys, withIds.getJsonArray("sids"));
      JsonObject none = EventStore.bucket(stream, events, e -> false, ownKey);
      assertArrayEquals(byTheCodec(none), written(stream, events, e -> false, ownKey), "own key " + ownKey + ", no ids");
      assertEquals(ownKey ? new JsonArray().add(own) : null, none.getJsonArray("sids"));
      assertEquals(ownKey, none.containsKey("sids"), "a bucket of no given id in a sparse index holds no sids at all");
    }
    // the ids given only further on in the bucket: the array starts there
    Predicate<JsonObject> last = e -> e.getLong("seq") == 11;
    assertArrayEquals(byTheCodec(EventStore.bucket(stream, events, last, false)), written(stream, events, last, false));
    assertEquals(new JsonArray().add("id-5|" + stream), EventStore.bucket(stream, events, last, false).getJsonArray("sids"));
  }

  /** Data of every kind a JSON object holds: plain values, the codec's own {$…} forms, instants, bytes, nested _ids. */
  @Test
  void dataOfEveryKindIsTheCodecsBytes() {
    List<JsonObject> values = List.of(
      new JsonObject().put("f", 1.5f).put("d", new BigDecimal("12.50")).put("i", Integer.MIN_VALUE).put("l", Long.MAX_VALUE)
        .put("neg0", -0.0).put("no", false),
      new JsonObject().put("at", Instant.parse("2026-12-07T08:00:00.123Z")).put("raw", new byte[] {1, 2, 3}),
      new JsonObject().put("when", new JsonObject().put("$date", "2026-12-07T08:00:00Z")).put("plain", "x"),
      new JsonObject().put("o", new JsonObject().put("$oid", "5f2b6c0e9d3a4b1c2d3e4f50")).put("after", 1),
      new JsonObject().put("deep", new JsonObject().put("z", 1).put("_id", "nested first")
        .put("list", new JsonArray().add(new JsonObject().put("k", 1).put("_id", 2)).add(List.of("a", 3)))),
      new JsonObject().put("map", new LinkedHashMap<>(Map.of("k", "v"))).put("nullId", new JsonObject().put("a", 1)
        .putNull("_id")),
      new JsonObject().put("$weird", 1));
    for (int i = 0; i < values.size(); i++) {
      List<JsonObject> events = List.of(event(i + 1L, "id", "T", values.get(i), "by", "ts"));
      assertArrayEquals(byTheCodec(EventStore.bucket("s", events)), written("s", events), "data " + values.get(i));
    }
  }

  @Test
  void randomStringsAreWrittenAsTheDriverWritesThem() {
    Random random = new Random(16);
    char[] alphabet = {'a', 'Z', '0', ' ', '"', '\\', '\0', '\u007f', '\u0080', 'é', '\u07ff', '\u0800', '€',
      '\uD83D', '\uDE00', '\uFFFF'};
    for (int round = 0; round < 500; round++) {
      char[] chars = new char[random.nextInt(200)];
      for (int i = 0; i < chars.length; i++) {
        chars[i] = random.nextInt(4) == 0 ? alphabet[random.nextInt(alphabet.length)] : (char) ('a' + random.nextInt(26));
      }
      String text = new String(chars);
      List<JsonObject> events = List.of(event(round + 1L, "id", "T", new JsonObject().put("s", text)
        .put("list", new JsonArray().add(text)), "by", "ts"));
      assertArrayEquals(byTheCodec(EventStore.bucket("s", events)), written("s", events), "round " + round);
    }
  }

  @Test
  void documentsShareOneBufferEachItsOwnRange() {
    List<JsonObject> documents = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      documents.add(new JsonObject().put("_id", "k" + i).put("pad", "p".repeat(i * 37)));
    }
    List<RawBsonDocument> encoded = RawBuckets.encode(documents);
    assertEquals(documents.size(), encoded.size());
    for (int i = 0; i < documents.size(); i++) {
      RawBsonDocument document = encoded.get(i);
      assertArrayEquals(byTheCodec(documents.get(i)), bytes(document));
      assertEquals("k" + i, document.getString("_id").getValue());
    }
  }

  @Test
  void aNameHoldingNulIsRefusedAsTheDriverRefusesIt() {
    try (BsonBinaryWriter writer = new BsonBinaryWriter(new RawBuckets.AsciiOutputBuffer(16))) {
      writer.writeStartDocument();
      assertThrows(BsonSerializationException.class, () -> writer.writeString("a\0b", "value"));
    }
  }
}
