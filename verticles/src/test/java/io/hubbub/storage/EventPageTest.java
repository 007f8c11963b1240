package io.hubbub.storage;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
}
