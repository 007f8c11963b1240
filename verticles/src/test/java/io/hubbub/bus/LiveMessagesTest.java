package io.hubbub.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** How storage's announcement of one write's events is cut into messages, and read back by every consumer. */
class LiveMessagesTest {

  private long seq;

  private List<JsonObject> events(String stream, int count) {
    List<JsonObject> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(new JsonObject().put("stream", stream).put("seq", ++seq));
    }
    return events;
  }

  /** What a message carries, as "stream:count" for an array and "stream" for one event. */
  private static List<String> shapes(List<Object> messages) {
    return messages.stream().map(m -> m instanceof JsonArray run
      ? run.getJsonObject(0).getString("stream") + ":" + run.size()
      : ((JsonObject) m).getString("stream")).toList();
  }

  /** The messages, each checked to be sent with its events' stream. */
  private static List<Object> messages(List<JsonObject> events) {
    List<Object> messages = new ArrayList<>();
    Streams.liveMessages(events, (stream, message) -> {
      Streams.eachLive(message, e -> assertEquals(e.getString("stream"), stream, "sent with its stream"));
      messages.add(message);
    });
    return messages;
  }

  private static List<Long> seqs(List<Object> messages) {
    List<Long> seqs = new ArrayList<>();
    messages.forEach(m -> Streams.eachLive(m, e -> seqs.add(e.getLong("seq"))));
    return seqs;
  }

  @Test
  void shortRunsGoOneByOneAsLiveTrafficAlwaysHas() {
    List<JsonObject> write = new ArrayList<>();
    write.addAll(events("a", 1));
    write.addAll(events("b", Streams.MIN_LIVE_RUN - 1));
    write.addAll(events("a", 2));
    List<Object> messages = messages(write);
    assertEquals(write.size(), messages.size());
    messages.forEach(m -> assertInstanceOf(JsonObject.class, m));
    assertEquals(write, messages);
  }

  @Test
  void aLongRunGoesAsArraysOfAtMostTheMostAMessageCarries() {
    List<JsonObject> write = new ArrayList<>();
    write.addAll(events("a", 2));
    write.addAll(events("b", 2 * Streams.MAX_LIVE_EVENTS + 3));
    write.addAll(events("c", Streams.MIN_LIVE_RUN));
    write.addAll(events("b", 1));
    List<Object> messages = messages(write);
    assertEquals(List.of("a", "a", "b:" + Streams.MAX_LIVE_EVENTS, "b:" + Streams.MAX_LIVE_EVENTS, "b:3",
      "c:" + Streams.MIN_LIVE_RUN, "b"), shapes(messages));
    assertEquals(write.stream().map(e -> e.getLong("seq")).toList(), seqs(messages), "every event once, in order");
  }

  @Test
  void nothingStoredIsNothingAnnouncedAndAnythingElseOnAnAddressIsNoEvent() {
    assertEquals(List.of(), messages(List.of()));
    assertEquals(List.of(), seqs(List.of("not an event", 42, new JsonArray().add("nor this"))));
  }
}
