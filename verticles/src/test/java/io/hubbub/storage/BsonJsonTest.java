package io.hubbub.storage;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.impl.codec.json.JsonObjectCodec;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writing an event's JSON straight from its BSON: which strings are copied as they are, and bytes that are not what
 * storage writes (every byte of an event changed in turn) read exactly as the client's codec reads them, or fail
 * where it fails.
 */
class BsonJsonTest {

  private static final JsonObjectCodec CODEC = new JsonObjectCodec(new JsonObject());

  private static boolean plainByByte(byte[] bytes, int from, int length) {
    for (int i = from; i < from + length; i++) {
      int b = bytes[i] & 0xff;
      if (b < 0x20 || b == '"' || b == '\\' || b >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  @Test
  void aStringIsPlainWhenEveryByteIsPrintableAsciiButAQuoteOrABackslash() {
    for (int length = 0; length <= 20; length++) {
      for (int at = 0; at < length; at++) {
        for (int b = 0; b < 256; b++) {
          byte[] bytes = new byte[length + 3];
          Arrays.fill(bytes, (byte) 'a');
          bytes[1 + at] = (byte) b;
          assertThat(BsonJson.plain(bytes, 1, length)).as("byte %d at %d of %d", b, at, length)
            .isEqualTo(plainByByte(bytes, 1, length));
        }
      }
    }
    Random random = new Random(16);
    for (int i = 0; i < 20_000; i++) {
      byte[] bytes = new byte[random.nextInt(64)];
      for (int j = 0; j < bytes.length; j++) {
        bytes[j] = (byte) (random.nextInt(10) == 0 ? random.nextInt(256) : 0x20 + random.nextInt(0x5f));
      }
      int from = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
      int length = bytes.length - from;
      assertThat(BsonJson.plain(bytes, from, length)).isEqualTo(plainByByte(bytes, from, length));
    }
  }

  /** What a page answers for these bytes of an event, as its BSON or as the document the codec decodes, or the failure. */
  private static String asBson(byte[] bytes, int offset, int length) {
    try {
      EventPage page = new EventPage("app.s", 1, 1, 1 << 20);
      page.offer(new RawBsonDocument(bytes, offset, length));
      return page.json(1, 1).toString();
    } catch (RuntimeException e) {
      return "fails: " + e.getClass().getSimpleName();
    }
  }

  private static String asDecoded(byte[] bytes, int offset, int length) {
    try {
      EventPage page = new EventPage("app.s", 1, 1, 1 << 20);
      page.offer(new RawBsonDocument(bytes, offset, length).decode(CODEC));
      return page.json(1, 1).toString();
    } catch (RuntimeException e) {
      return "fails: " + e.getClass().getSimpleName();
    }
  }

  @Test
  void bytesChangedAnywhereReadAsTheCodecReadsThem() {
    JsonObject event = new JsonObject().put("seq", 1L).put("id", "id-1").put("type", "NOTE")
      .put("data", new JsonObject().put("text", "a \"b\" é").put("n", 7).put("big", 1L << 40).put("x", 0.5).put("t", true)
        .putNull("none").put("list", new JsonArray().add(1).add("two").add(new JsonObject().put("k", false))))
      .put("by", "ada").put("ts", "2026-12-04T06:00:00Z");
    ByteBuffer encoded = new RawBsonDocument(event, CODEC).getByteBuffer().asNIO();
    byte[] stored = new byte[encoded.remaining()];
    encoded.get(stored);
    byte[] padded = new byte[stored.length + 9]; // at an offset, with bytes after it, as an event inside its bucket
    Arrays.fill(padded, (byte) 0x55);
    System.arraycopy(stored, 0, padded, 5, stored.length);
    assertThat(asBson(padded, 5, stored.length)).startsWith("{").isEqualTo(asDecoded(padded, 5, stored.length));

    List<String> differ = new ArrayList<>();
    int changed = 0;
    for (int i = 0; i < stored.length; i++) {
      for (int value : new int[] {0, 1, 2, 4, 0x7f, 0x80, 0xff, (stored[i] & 0xff) ^ 1, (stored[i] & 0xff) + 16}) {
        byte[] bytes = padded.clone();
        bytes[5 + i] = (byte) value;
        String expected = asDecoded(bytes, 5, stored.length);
        String actual = asBson(bytes, 5, stored.length);
        changed++;
        if (!expected.equals(actual)) {
          differ.add("byte " + i + " = " + value + ": " + actual + " instead of " + expected);
        }
      }
    }
    assertThat(differ).as("of %d changed events", changed).isEmpty();
  }

  /**
   * What a page of seqs 1–3 answers for these bytes of a bucket, its events read by storage's own reader or by the
   * driver's ({@link RawBsonDocument#getArray}), or the failure.
   */
  private static String bucketPage(byte[] bytes, int offset, int length, boolean ownReader) {
    try {
      EventPage page = new EventPage("app.s", 1, 3, 1 << 20);
      RawBsonDocument bucket = new RawBsonDocument(bytes, offset, length);
      if (ownReader) {
        EventStore.offerEvents(bucket, page);
      } else {
        for (BsonValue stored : bucket.getArray("events")) {
          page.offer((RawBsonDocument) stored);
        }
      }
      return page.json(1, 3).toString();
    } catch (RuntimeException e) {
      return "fails: " + e.getClass().getSimpleName();
    }
  }

  @Test
  void aBucketChangedAnywhereReadsAsTheDriverReadsIt() {
    JsonArray events = new JsonArray();
    for (long seq = 1; seq <= 3; seq++) {
      events.add(new JsonObject().put("seq", seq).put("id", "id-" + seq).put("type", "NOTE")
        .put("data", new JsonObject().put("text", "é " + seq).put("n", seq)).put("by", "ada").put("ts", "2026-12-04T06:00:00Z"));
    }
    JsonObject stored = new JsonObject().put("_id", "app.s:1").put("first", 1L).put("last", 3L).put("events", events);
    ByteBuffer encoded = new RawBsonDocument(stored, CODEC).getByteBuffer().asNIO();
    byte[] bucket = new byte[encoded.remaining()];
    encoded.get(bucket);
    byte[] padded = new byte[bucket.length + 9];
    Arrays.fill(padded, (byte) 0x55);
    System.arraycopy(bucket, 0, padded, 5, bucket.length);
    assertThat(bucketPage(padded, 5, bucket.length, true)).contains("\"seq\":3").isEqualTo(bucketPage(padded, 5, bucket.length, false));

    List<String> differ = new ArrayList<>();
    int changed = 0;
    for (int i = 0; i < bucket.length; i++) {
      for (int value : new int[] {0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, (bucket[i] & 0xff) ^ 1, (bucket[i] & 0xff) + 16}) {
        byte[] bytes = padded.clone();
        bytes[5 + i] = (byte) value;
        String expected = bucketPage(bytes, 5, bucket.length, false);
        String actual = bucketPage(bytes, 5, bucket.length, true);
        changed++;
        if (!expected.equals(actual)) {
          differ.add("byte " + i + " = " + value + ": " + actual + " instead of " + expected);
        }
      }
    }
    assertThat(differ).as("of %d changed buckets", changed).isEmpty();
  }

  @Test
  void anEventDecodedWholeAmidAPageLeavesTheEventsBeforeItAsTheyWere() {
    EventPage fromBson = new EventPage("app.s", 1, 5, 1 << 20);
    EventPage fromJson = new EventPage("app.s", 1, 5, 1 << 20);
    for (long seq = 1; seq <= 5; seq++) {
      JsonObject data = seq == 3 ? new JsonObject().put("when", new JsonObject().put("$date", "2026-12-04T06:00:00Z"))
        : new JsonObject().put("n", seq);
      JsonObject event = new JsonObject().put("seq", seq).put("id", "id-" + seq).put("type", "T").put("data", data)
        .put("by", "ada").put("ts", "2026-12-04T06:00:00Z");
      RawBsonDocument bson = new RawBsonDocument(event, CODEC);
      if (seq == 3) {
        assertThat(bson.getDocument("data").get("when").isDateTime()).as("a value JSON does not have: decoded whole").isTrue();
      }
      fromBson.offer(bson);
      fromJson.offer(bson.decode(CODEC));
    }
    Buffer json = fromBson.json(1, 5);
    assertThat(json).isEqualTo(fromJson.json(1, 5));
    assertThat(new JsonObject(json).getJsonArray("events")).hasSize(5);
  }

  @Test
  void aLargePageWrittenFromBsonIsTheCodecsJson() {
    Random random = new Random(4);
    EventPage fromBson = new EventPage("app.s", 1, 500, 1 << 24);
    EventPage fromJson = new EventPage("app.s", 1, 500, 1 << 24);
    for (long seq = 1; seq <= 500; seq++) {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(300); i > 0; i--) {
        text.append((char) (random.nextInt(8) == 0 ? random.nextInt(0x3000) : 0x20 + random.nextInt(0x5f)));
      }
      JsonObject event = new JsonObject().put("seq", seq).put("id", "id-" + seq).put("type", "T" + seq % 7)
        .put("data", new JsonObject().put("text", text.toString()).put("d", random.nextDouble()).put("n", random.nextLong()))
        .put("by", "user-" + random.nextInt(100)).put("ts", "2026-12-04T06:00:00Z");
      RawBsonDocument bson = new RawBsonDocument(event, CODEC);
      fromBson.offer(bson);
      fromJson.offer(bson.decode(CODEC));
    }
    Buffer json = fromBson.json(1, 500);
    assertThat(json).isEqualTo(fromJson.json(1, 500));
    assertThat(new JsonObject(json).getJsonArray("events")).hasSize(500);
  }
}
