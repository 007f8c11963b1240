package io.hubbub.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A body handed over reaches a handler on this node as the very object sent, where a JSON body arrives copied; between
 * nodes it is written as Vert.x writes JSON and read back equal (the cluster tests send the gateway's appends so).
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class HandOverTest {

  private Vertx vertx;
  private final AtomicReference<Object> received = new AtomicReference<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    HandOver.register(vertx.eventBus());
    HandOver.register(vertx.eventBus()); // a second verticle of the node registers it again: nothing happens
    vertx.eventBus().consumer("storage.test", message -> {
      received.set(message.body());
      message.reply(new JsonObject().put("ok", true));
    });
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private static JsonObject batch() {
    return new JsonObject().put("events", new JsonArray()
      .add(new JsonObject().put("type", "NOTE").put("data", new JsonObject().put("text", "é ✓ \u0000")))
      .add(new JsonObject().put("type", "NOTE").put("data", new JsonObject().put("n", 42L).put("list", new JsonArray().add(1.5)))));
  }

  @Test
  void aHandlerOnThisNodeGetsTheVeryBodyHandedOver() throws Exception {
    JsonObject body = batch();
    Object reply = Bus.handOver(vertx.eventBus(), "storage.test", body, 10_000).await(10, TimeUnit.SECONDS);
    assertThat(received.get()).isSameAs(body);
    assertThat(Bus.json(reply)).isEqualTo(new JsonObject().put("ok", true));

    Bus.requestBody(vertx.eventBus(), "storage.test", body, 10_000).await(10, TimeUnit.SECONDS);
    assertThat(received.get()).as("a JSON body is copied on its way").isEqualTo(body).isNotSameAs(body);
  }

  @Test
  void aReplyHandedOverReachesItsCallerAsTheVeryObject() throws Exception {
    JsonObject acks = batch();
    Contract<JsonObject, JsonObject> contract = Contract.handedOver("storage.test.acks", q -> q, q -> q, r -> r, r -> r);
    contract.serve(vertx.eventBus(), request -> Future.succeededFuture(acks));
    assertThat(contract.request(vertx.eventBus(), new JsonObject(), 10_000).await(10, TimeUnit.SECONDS)).isSameAs(acks);
    assertThat(Bus.json(contract.writeReply().apply(acks))).as("read with no bus between").isSameAs(acks);
  }

  @Test
  void onTheWireItIsJsonAndReadsBackEqualWhereverItStarts() {
    JsonObject body = batch();
    Buffer wire = Buffer.buffer("headers");
    HandOver.CODEC.encodeToWire(wire, new HandOver(body));
    wire.appendString("next message");
    assertThat(HandOver.CODEC.decodeFromWire("headers".length(), wire)).isEqualTo(body);
    assertThat(HandOver.CODEC.name()).isEqualTo(HandOver.CODEC_NAME);
    assertThat(HandOver.CODEC.systemCodecID()).isEqualTo((byte) -1);
  }
}
