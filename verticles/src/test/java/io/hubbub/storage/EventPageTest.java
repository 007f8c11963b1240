package io.hubbub.storage;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.impl.codec.json.JsonObjectCodec;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** A page's events are encoded once, as readers get them, and its bound on bytes is measured on that encoding. */
class EventPageTest {

  private static JsonObject stored(long seq, String text) {
    return new JsonObject().put("seq", seq).put("id", "id-" + seq).put("type", "NOTE")
      .put("data", new JsonObject().put("text", text).put("n", seq).put("ok", true).put("list", new JsonArray().add(1.5).addNull()))
      .put("by", "ada").put("ts", "2026-12-03T06:00:00Z");
  }

  /** What a reader gets for a stored event: its stream first, then its fields, `by` null when it has none. */
  private static JsonObject asRead(JsonObject stored) {
    return new JsonObject().put("stream", "app.s").put("seq", stored.getLong("seq")).put("id", stored.getString("id"))
      .put("type", stored.getString("type")).put("data", stored.getJsonObject("data")).put("by", stored.getString("by"))
      .put("ts", stored.getString("ts"));
  }

  @Test
  void eventsAreEncodedAsReadersGetThemAndThePageSaysWhereToGoOn() {
    EventPage page = new EventPage("app.s", 3, 10, 1 << 20);
    JsonObject noAuthor = stored(4, "é \"quoted\" \u2028 ☃");
    noAuthor.remove("by");
    List<JsonObject> offered = List.of(stored(1, "before"), stored(3, "a"), noAuthor, stored(6, "gap"), stored(5, "b"));
    offered.forEach(page::offer);

    List<JsonObject> expected = List.of(asRead(stored(3, "a")), asRead(noAuthor), asRead(stored(5, "b")));
    assertThat(page.events()).as("in seq order from 3, a seq out of turn skipped").isEqualTo(expected);
    assertThat(page.each()).as("byte for byte what the JSON codec writes")
      .isEqualTo(expected.stream().map(JsonObject::toBuffer).toList());
    assertThat(page.next()).isEqualTo(6);
    assertThat(page.open()).isTrue();

    Buffer json = page.json(2, 9);
    assertThat(new JsonObject(json)).isEqualTo(new JsonObject().put("stream", "app.s").put("events", new JsonArray(expected))
      .put("next", 6L).put("firstSeq", 2L).put("lastSeq", 9L));
    assertThat(page.offer(stored(6, "late"))).as("no event after the page is answered").isFalse();
  }

  @Test
  void aPageEndsAtItsLastSeqAndAtItsBytesButTakesItsFirstEventWhatever() {
    EventPage bySeq = new EventPage("app.s", 1, 2, 1 << 20);
    assertThat(bySeq.offer(stored(1, "a"))).isTrue();
    assertThat(bySeq.offer(stored(2, "b"))).isTrue();
    assertThat(bySeq.offer(stored(3, "c"))).as("past its last seq").isFalse();
    assertThat(bySeq.size()).isEqualTo(2);
    assertThat(bySeq.open()).isFalse();

    int one = stored(1, "x".repeat(100)).toBuffer().length();
    EventPage tiny = new EventPage("app.s", 1, 100, 10);
    assertThat(tiny.offer(stored(1, "x".repeat(100)))).as("the first event comes, however large").isTrue();
    assertThat(tiny.offer(stored(2, "y"))).isFalse();
    assertThat(tiny.events()).hasSize(1);
    assertThat(tiny.next()).isEqualTo(2);

    EventPage byBytes = new EventPage("app.s", 1, 100, 3L * one + 200);
    long taken = LongStream.rangeClosed(1, 100).takeWhile(seq -> byBytes.offer(stored(seq, "x".repeat(100)))).count();
    assertThat(taken).as("events of ~%d bytes under a bound of three and a bit", one).isEqualTo(3);
    assertThat(byBytes.json(1, 100).length()).isLessThanOrEqualTo((int) (3L * one + 200) + 100);
    assertThat(byBytes.events()).extracting(e -> e.getLong("seq")).containsExactly(1L, 2L, 3L);
    assertThat(new JsonObject(byBytes.json(1, 100)).getLong("next")).as("the refused event is where to go on").isEqualTo(4);
  }

  @Test
  void theNextFetchAsksForWhatTheBytesLeftHoldAtTheSizeSeen() {
    int one = asRead(stored(1, "z".repeat(500))).toBuffer().length();
    EventPage page = new EventPage("app.s", 1, 1_000, 10L * one);
    page.offer(stored(1, "z".repeat(500)));
    page.offer(stored(2, "z".repeat(500)));
    assertThat(page.span()).as("8 more fit, and one to find the end").isBetween(8L, 10L);
    assertThat(new EventPage("app.s", 1, 5, 1 << 20).span()).as("at most what is left").isEqualTo(5);
  }

  /**
   * A page larger than the pieces its bytes are kept in (16 KiB), with events of every size falling across their
   * edges and one cut back across an edge when the bound refuses it, answers the same bytes as the JSON codec.
   */
  @Test
  void aLargePageIsTheCodecsBytesWhereverItsEventsFall() {
    List<JsonObject> all = LongStream.rangeClosed(1, 400).mapToObj(seq -> stored(seq, "é".repeat((int) (seq * 37 % 1_500)))).toList();
    int taking = 0; // a count past 100 whose next event would cross a 16 KiB edge
    long bytes = 0; // of the events before it, with the commas between them
    for (int n = 0; taking == 0; n++) {
      long next = bytes + (n == 0 ? 0 : 1) + asRead(all.get(n)).toBuffer().length();
      if (n >= 100 && bytes / (16 * 1024) != next / (16 * 1024)) {
        taking = n;
      } else {
        bytes = next;
      }
    }
    EventPage page = new EventPage("app.s", 1, 400, bytes + 20);
    long taken = all.stream().takeWhile(page::offer).count();
    assertThat(taken).as("the next does not fit").isEqualTo(taking);

    List<JsonObject> expected = all.subList(0, taking).stream().map(EventPageTest::asRead).toList();
    assertThat(page.each()).isEqualTo(expected.stream().map(JsonObject::toBuffer).toList());
    Buffer json = page.json(1, 400);
    assertThat(json.length()).as("over 16 KiB a few times").isGreaterThan(5 * 16 * 1024);
    assertThat(new JsonObject(json).getJsonArray("events")).isEqualTo(new JsonArray(expected));
    assertThat(new JsonObject(json).getLong("next")).isEqualTo(taking + 1);
  }

  /**
   * A stored event's BSON (as storage reads it, {@link RawBuckets}) is written byte for byte as the event
   * vertx-mongo-client decodes from it is: every JSON type at every depth, an absent author, a value of a type JSON
   * does not have (a date, an object id: decoded as the client decodes them), fields out of storage's order or one
   * it does not write (the event decoded whole), a seq stored as a 32-bit number.
   */
  @Test
  void anEventsBsonIsWrittenAsTheEventDecodedFromItIs() {
    JsonObjectCodec codec = new JsonObjectCodec(new JsonObject());
    JsonObject noAuthor = stored(2, "no author");
    noAuthor.remove("by");
    JsonObject types = stored(3, "types").put("data", new JsonObject().put("int", 7).put("long", 1L << 40).put("double", 0.1)
      .put("negativeZero", -0.0).put("huge", 1e300).put("t", true).put("f", false).putNull("n").put("text", "é \"q\" \u2028 ☃ \u0000 \\")
      .put("nested", new JsonObject().put("deeper", new JsonArray().add(new JsonObject()).add(new JsonArray()).add("s").addNull().add(2.5))));
    JsonObject date = stored(7, "date");
    date.getJsonObject("data").put("at", new JsonObject().put("$date", "2026-12-03T10:00:00Z"))
      .put("list", new JsonArray().add(new JsonObject().put("$oid", "5f9d1c2b3a4e5f6a7b8c9d0e")));
    JsonObject reordered = new JsonObject().put("type", "NOTE").put("seq", 8L).put("id", "id-8").put("data", "text")
      .put("ts", "2026-12-03T06:00:00Z");
    JsonObject extra = stored(9, "extra").put("extra", 1);
    JsonObject int32Seq = stored(10, "int").put("seq", 10);
    List<JsonObject> events = List.of(stored(1, "plain"), noAuthor, types, stored(4, "x").put("data", "just text"),
      stored(5, "x").put("data", new JsonArray().add(1).add("two")), stored(6, "x").put("data", 42), date, reordered, extra,
      int32Seq);

    EventPage fromBson = new EventPage("app.s", 1, 100, 1 << 20);
    EventPage fromJson = new EventPage("app.s", 1, 100, 1 << 20);
    for (JsonObject event : events) {
      RawBsonDocument bson = new RawBsonDocument(event, codec);
      assertThat(fromBson.offer(bson)).isTrue();
      assertThat(fromJson.offer(bson.decode(codec))).isTrue();
    }
    assertThat(fromBson.size()).isEqualTo(events.size());
    assertThat(fromBson.each()).isEqualTo(fromJson.each());
    assertThat(fromBson.json(1, 10)).isEqualTo(fromJson.json(1, 10));
    assertThat(fromJson.events().get(6).getJsonObject("data").getJsonObject("at")).as("a date, as the client decodes it")
      .isEqualTo(new JsonObject().put("$date", "2026-12-03T10:00:00Z"));
    assertThat(fromJson.events().get(1).containsKey("by")).as("an absent author is null").isTrue();

    JsonObject swapped = new JsonObject().put("seq", 11L).put("type", "NOTE").put("id", "id-11").put("data", 1);
    EventPage oddFirst = new EventPage("app.s", 9, 11, 1 << 20);
    EventPage oddFirstJson = new EventPage("app.s", 9, 11, 1 << 20);
    for (JsonObject event : List.of(extra, int32Seq, swapped)) { // decoded whole after a start written from the bytes
      RawBsonDocument bson = new RawBsonDocument(event, codec);
      oddFirst.offer(bson);
      oddFirstJson.offer(bson.decode(codec));
    }
    assertThat(oddFirst.size()).isEqualTo(3);
    assertThat(oddFirst.json(9, 11)).isEqualTo(oddFirstJson.json(9, 11));
  }

  /**
   * Strings are copied from the stored bytes when JSON writes them as they are: every character from U+0000 to U+00FF
   * alone and amid plain text, in events read from inside a bucket (as storage reads them: each event a document at
   * an offset in the bucket's bytes), is written as the JSON codec writes it.
   */
  @Test
  void stringsReadFromABucketAreWrittenAsTheCodecWritesThem() {
    JsonObjectCodec codec = new JsonObjectCodec(new JsonObject());
    JsonArray stored = new JsonArray();
    for (int c = 0; c < 0x100; c++) {
      String one = String.valueOf((char) c);
      stored.add(stored(c + 1, "plain text " + one + " and more").put("type", one)
        .put("data", new JsonObject().put("alone", one).put("list", new JsonArray().add(one + one).add("ok"))));
    }
    stored.add(stored(0x101, "ascii only, / and ~ and {} []").put("by", "ada-lovelace_1815"));
    stored.add(stored(0x102, "").put("id", ""));
    RawBsonDocument bucket = new RawBsonDocument(new JsonObject().put("_id", "app.s|0000000000000000001").put("first", 1L)
      .put("events", stored), codec);

    EventPage fromBson = new EventPage("app.s", 1, 0x102, 1 << 22);
    for (Object event : bucket.getArray("events")) {
      assertThat(fromBson.offer((RawBsonDocument) event)).isTrue();
    }
    List<JsonObject> expected = stored.stream().map(JsonObject.class::cast).map(EventPageTest::asRead).toList();
    assertThat(fromBson.each()).isEqualTo(expected.stream().map(JsonObject::toBuffer).toList());
    assertThat(BsonJson.plain("a\"b".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, 3)).isFalse();
    assertThat(BsonJson.plain("a/b ~".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, 5)).isTrue();
  }
}
