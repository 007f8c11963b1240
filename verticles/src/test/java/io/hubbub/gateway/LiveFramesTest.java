package io.hubbub.gateway;

import io.hubbub.client.BridgeClient;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Live events reach every kind of bridge socket whole and in order: the raw WebSocket transport (written the event's
 * frame encoded once, {@link RawFrames}), the same with per-message compression, and SockJS's WebSocket transport
 * (both written through their socket), at frame lengths that take each form of the WebSocket length header.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LiveFramesTest {

  private static final String STREAM = "app.frames";
  private static final String LIVE = BridgeClient.liveAddress(STREAM);

  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("http").put("websocketCompression", true));
  private TestNode node;
  private Vertx vertx;
  private final List<WebSocketClient> clients = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (WebSocketClient client : clients) {
      client.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void everySocketKindReceivesEveryEventWholeInOrder() throws Exception {
    String token = node.user("fran").await(20, TimeUnit.SECONDS);
    List<JsonObject> raw = new CopyOnWriteArrayList<>();
    List<JsonObject> deflated = new CopyOnWriteArrayList<>();
    List<JsonObject> sockJs = new CopyOnWriteArrayList<>();
    BridgeClient plain = node.bridge(token).await(10, TimeUnit.SECONDS);
    plain.register(LIVE, raw::add);
    WebSocket compressed = connect(true, "/eventbus/websocket", frame -> deflated.add(frame));
    assertThat(compressed.headers().get("sec-websocket-extensions")).as("deflate negotiated").contains("permessage-deflate");
    compressed.writeTextMessage(register(token).encode());
    WebSocket sockJsSocket = connect(false, "/eventbus/321/" + "frames01" + "/websocket", frame -> sockJs.add(frame));
    sockJsSocket.writeTextMessage(new JsonArray().add(register(token).encode()).encode());

    // registrations are checked asynchronously: probe until all three receive
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      publish(token, new JsonObject().put("probe", true));
      return !raw.isEmpty() && !deflated.isEmpty() && !sockJs.isEmpty();
    });
    List<JsonObject> data = List.of(
      new JsonObject().put("text", "x".repeat(40)), // the frame's length in 2 bytes (126..65,535)
      new JsonObject().put("text", "y".repeat(3_000)),
      new JsonObject().put("text", "z".repeat(65_450)), // in 8 bytes (over 65,535), within limits.maxDataBytes
      new JsonObject().put("n", 1));
    long last = 0;
    for (JsonObject d : data) {
      last = publish(token, d);
    }
    long lastSeq = last;
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> Map.of("raw", raw, "deflated", deflated, "sockjs", sockJs)
      .forEach((kind, got) -> assertThat(got.get(got.size() - 1).getJsonObject("body").getLong("seq")).as(kind).isEqualTo(lastSeq)));

    List<JsonObject> expected = tail(raw, data.size());
    assertThat(expected.get(2).toBuffer().length()).as("a frame over 65,535 bytes").isGreaterThan(65_535);
    assertThat(expected).extracting(f -> f.getJsonObject("body").getJsonObject("data")).containsExactlyElementsOf(data);
    assertThat(expected).allSatisfy(f -> assertThat(f.getString("type")).isEqualTo("rec"));
    for (List<JsonObject> got : List.of(raw, deflated, sockJs)) {
      assertThat(tail(got, data.size())).isEqualTo(expected);
      List<Long> seqs = got.stream().map(f -> f.getJsonObject("body").getLong("seq")).toList();
      assertThat(seqs).as("in order, once").isSorted().doesNotHaveDuplicates();
    }

    // a batch: storage announces it in pieces of several events, each socket still gets one frame an event
    int batch = 133;
    JsonArray events = new JsonArray();
    for (int i = 0; i < batch; i++) {
      events.add(new JsonObject().put("type", "FRAME").put("data", new JsonObject().put("i", i)));
    }
    var answer = node.call(HttpMethod.POST, "/api/streams/" + STREAM + "/events", token, events);
    assertThat(answer.status()).as(answer.body().toString()).isEqualTo(201);
    long batchLast = lastSeq + batch;
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> Map.of("raw", raw, "deflated", deflated, "sockjs", sockJs)
      .forEach((kind, got) -> assertThat(got.get(got.size() - 1).getJsonObject("body").getLong("seq")).as(kind)
        .isEqualTo(batchLast)));
    for (List<JsonObject> got : List.of(raw, deflated, sockJs)) {
      List<JsonObject> frames = tail(got, batch);
      assertThat(frames).extracting(f -> f.getJsonObject("body").getLong("seq"))
        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(lastSeq + 1, batchLast).boxed().toList());
      assertThat(frames).extracting(f -> f.getJsonObject("body").getJsonObject("data").getInteger("i"))
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, batch).boxed().toList());
    }
  }

  private static List<JsonObject> tail(List<JsonObject> frames, int n) {
    return frames.subList(frames.size() - n, frames.size());
  }

  private static JsonObject register(String token) {
    return new JsonObject().put("type", "register").put("address", LIVE)
      .put("headers", new JsonObject().put("authorization", "Bearer " + token));
  }

  private long publish(String token, JsonObject data) throws Exception {
    JsonObject body = new JsonObject().put("type", "FRAME").put("data", data);
    var answer = node.call(HttpMethod.POST, "/api/streams/" + STREAM + "/events", token, body);
    assertThat(answer.status()).as(answer.body().toString()).isEqualTo(201);
    return answer.json().getLong("seq");
  }

  /**
   * A WebSocket to the bridge; each {@code rec} frame for the live address goes to {@code frames}. A path with a
   * server and session id speaks SockJS: the server's messages come in {@code a[...]} arrays of JSON strings.
   */
  private WebSocket connect(boolean deflate, String path, Consumer<JsonObject> frames) throws Exception {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setTryUsePerMessageCompression(deflate)
      .setMaxFrameSize(4 * 1_048_576).setMaxMessageSize(4 * 1_048_576));
    clients.add(client);
    boolean sockJs = !path.equals(RawFrames.RAW_PATH);
    WebSocket socket = client.connect(node.port, "127.0.0.1", path).await(10, TimeUnit.SECONDS);
    Consumer<String> text = message -> {
      List<String> messages = new ArrayList<>();
      if (!sockJs) {
        messages.add(message);
      } else if (message.startsWith("a")) {
        new JsonArray(message.substring(1)).forEach(m -> messages.add((String) m));
      }
      messages.stream().map(JsonObject::new).filter(f -> LIVE.equals(f.getString("address"))).forEach(frames);
    };
    socket.textMessageHandler(text::accept);
    socket.binaryMessageHandler(bytes -> text.accept(bytes.toString()));
    return socket;
  }
}
