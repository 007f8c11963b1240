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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

  /** A typed body: storage's acks are one. */
  record Acks(JsonObject json) implements HandOver.Typed {
    @Override
    public JsonObject toJson() {
      return json;
    }
  }

  /** A typed request: storage's appends are one. */
  record Batch(JsonObject json) implements HandOver.Typed {
    @Override
    public JsonObject toJson() {
      return json;
    }
  }

  @Test
  void aTypedReplyHandedOverReachesItsCallerAsTheVeryObject() throws Exception {
    Acks acks = new Acks(batch());
    Contract<Batch, Acks> contract = Contract.handedOver("storage.test.acks", Batch.class, Batch::new, Acks.class, Acks::new);
    contract.serve(vertx.eventBus(), request -> Future.succeededFuture(acks));
    assertThat(contract.request(vertx.eventBus(), new Batch(new JsonObject()), 10_000).await(10, TimeUnit.SECONDS)).isSameAs(acks);
    assertThat(contract.readReply().apply(contract.writeReply().apply(acks))).as("read with no bus between (a fake)")
      .isEqualTo(acks);
    assertThat(Bus.json(acks)).as("read as JSON where JSON is asked for").isSameAs(acks.json());
    assertThatThrownBy(() -> new HandOver("text")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aTypedRequestHandedOverReachesItsServerAsTheVeryObjectAndAsJsonOtherwise() throws Exception {
    Contract<Batch, Acks> contract = Contract.handedOver("storage.test.batch", Batch.class, Batch::new, Acks.class, Acks::new);
    contract.serve(vertx.eventBus(), request -> {
      received.set(request);
      return Future.succeededFuture(new Acks(new JsonObject().put("ok", true)));
    });
    Batch batch = new Batch(batch());
    StorageRequests requests = new StorageClient(vertx, 1, 10_000);
    assertThat(requests.handOver(contract, batch).await(10, TimeUnit.SECONDS).json()).isEqualTo(new JsonObject().put("ok", true));
    assertThat(received.get()).as("handed over: the very request").isSameAs(batch);

    requests.request(contract, batch).await(10, TimeUnit.SECONDS);
    assertThat(received.get()).as("requested: sent as JSON, read back").isEqualTo(batch).isNotSameAs(batch);
    StorageRequests fake = (address, body) -> Future.succeededFuture(new JsonObject().put("at", address).put("got", body));
    assertThat(fake.handOver(contract, batch).await(10, TimeUnit.SECONDS).json().getJsonObject("got"))
      .as("a fake reads a typed request handed over as its JSON").isEqualTo(batch.json());

    // any other object handed over to it is refused, as a body that is not JSON always was
    Object refused = Bus.handOver(vertx.eventBus(), "storage.test.batch", new Acks(new JsonObject()), 10_000)
      .transform(r -> Future.succeededFuture(r.failed() ? Failures.code(r.cause()) + " " + r.cause().getMessage() : "served"))
      .await(10, TimeUnit.SECONDS);
    assertThat(refused).isEqualTo("400 a JSON object body is required");
    assertThatThrownBy(() -> new Contract<>("x", (JsonObject q) -> q, q -> q, r -> r, r -> r, JsonObject.class))
      .as("a typed request is a typed body").isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void onTheWireItIsJsonAndReadsBackEqualWhereverItStarts() {
    JsonObject body = batch();
    Buffer wire = Buffer.buffer("headers");
    HandOver.CODEC.encodeToWire(wire, new HandOver(body));
    int typed = wire.length();
    HandOver.CODEC.encodeToWire(wire, new HandOver(new Acks(body)));
    wire.appendString("next message");
    assertThat(HandOver.CODEC.decodeFromWire("headers".length(), wire)).isEqualTo(body);
    assertThat(HandOver.CODEC.decodeFromWire(typed, wire)).as("a typed body travels as its JSON").isEqualTo(body);
    assertThat(HandOver.CODEC.name()).isEqualTo(HandOver.CODEC_NAME);
    assertThat(HandOver.CODEC.systemCodecID()).isEqualTo((byte) -1);
  }
}
