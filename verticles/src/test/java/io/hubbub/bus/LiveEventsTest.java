package io.hubbub.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a consumer of a live address reads from a message's body: {@link Streams#liveEvents}. */
class LiveEventsTest {

  private static JsonObject event(long seq) {
    return new JsonObject().put("stream", "app.x").put("seq", seq);
  }

  @Test
  void aWritesEventsComeAsOneArrayInOrder() {
    assertThat(Streams.liveEvents(new JsonArray().add(event(1)).add(event(2)).add(event(3))))
      .extracting(e -> e.getLong("seq")).containsExactly(1L, 2L, 3L);
  }

  @Test
  void anEventAloneIsItsObject() {
    assertThat(Streams.liveEvents(event(7))).containsExactly(event(7));
  }

  @Test
  void anythingElseHoldsNoEvent() {
    assertThat(Streams.liveEvents(null)).isEmpty();
    assertThat(Streams.liveEvents("text")).isEmpty();
    assertThat(Streams.liveEvents(new JsonArray().add("x").add(3))).isEmpty();
    assertThat(Streams.liveEvents(new JsonArray().add("x").add(event(4)))).containsExactly(event(4));
    assertThat(Streams.liveEvents(new JsonArray())).isEqualTo(List.of());
  }
}
