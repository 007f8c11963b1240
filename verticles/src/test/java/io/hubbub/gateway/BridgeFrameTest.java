package io.hubbub.gateway;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A reply whose body is JSON encoded already (a page) is framed around its bytes as the bridge frames any other. */
class BridgeFrameTest {

  @Test
  void anEncodedBodyIsFramedAsTheBridgeWouldFrameItsJson() {
    JsonObject page = new JsonObject().put("stream", "app.s")
      .put("events", new JsonArray().add(new JsonObject().put("seq", 1).put("data", new JsonObject().put("t", "é \"q\""))))
      .put("next", 2);
    Buffer bytes = page.toBuffer();
    JsonObject envelope = new JsonObject().put("type", "rec").put("address", "reply-1").put("body", bytes)
      .put("headers", new JsonObject().put("h", "v"));

    Buffer frame = Bridge.frame(envelope, bytes);

    JsonObject expected = new JsonObject().put("type", "rec").put("address", "reply-1").put("headers", new JsonObject().put("h", "v"))
      .put("body", page);
    assertThat(new JsonObject(frame)).isEqualTo(expected);
    assertThat(frame.toString()).as("the body's bytes as they are, not base64").contains(bytes.toString());
    assertThat(envelope.getMap().get("body")).as("the envelope itself untouched").isSameAs(bytes);
  }
}
