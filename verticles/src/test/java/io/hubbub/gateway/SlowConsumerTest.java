package io.hubbub.gateway;

import io.hubbub.Node;
import io.hubbub.bus.Streams;
import io.hubbub.client.BridgeClient;
import io.hubbub.client.GaplessReader;
import io.hubbub.client.Response;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One subscriber stops reading its socket while a stream floods past it: the gateway pauses live delivery
 * to that socket once it has {@code limits.liveQueueBytes} queued, tells it where it stopped, and goes on
 * serving the others at full speed; once the slow one reads again it catches up by reads and ends with
 * every event once, in order.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SlowConsumerTest {

  private static final long QUEUE_BYTES = 65_536;
  private static final int EVENTS = 1_280;
  private static final int BATCH = 40;
  private static final String STREAM = "app.flood";
  private static final String TEXT = "x".repeat(16_000); // ~20 MB in all: more than loopback TCP buffers hold

  private Vertx vertx;
  private TestNode node;
  private final List<BridgeClient> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Node.newVertx(); // with metrics: the test reads the gateway's queue meters
    JsonObject conf = TestConf.only(TestConf.node(), "storage", "auth", "audit", "gateway");
    conf.getJsonObject("limits").put("liveQueueBytes", QUEUE_BYTES);
    node = TestNode.start(vertx, conf).await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      for (BridgeClient client : clients) {
        client.close().await(10, TimeUnit.SECONDS);
      }
      node.stop().await(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private GaplessReader subscriber(String token, int receiveBuffer) throws Exception {
    BridgeClient client = BridgeClient.connect(vertx, node.port, receiveBuffer).await(10, TimeUnit.SECONDS).token(token);
    clients.add(client);
    return new GaplessReader(vertx, client, STREAM);
  }

  private double metric(String name) throws Exception {
    String text = node.call(HttpMethod.GET, "/metrics", null, null).body().toString();
    Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(2)) : -1;
  }

  @Test
  void aSlowSocketIsPausedToldAndCatchesUpWhileTheOthersRunLive() throws Exception {
    String token = node.user("flood").await(10, TimeUnit.SECONDS);
    List<GaplessReader> fast = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      fast.add(subscriber(token, -1));
    }
    GaplessReader slow = subscriber(token, 16_384);
    BridgeClient slowClient = clients.get(3);

    publish(token, 1, BATCH);
    await().atMost(Duration.ofSeconds(20)).until(() -> slow.next() > BATCH && fast.stream().allMatch(r -> r.next() > BATCH));
    slowClient.socket().pause(); // stops reading: its TCP buffers fill, then the gateway's writes to it wait

    for (int first = BATCH + 1; first <= EVENTS; first += BATCH) {
      publish(token, first, BATCH);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> fast.stream().allMatch(r -> r.next() > EVENTS));
    for (GaplessReader reader : fast) {
      assertEquals(LongStream.rangeClosed(1, EVENTS).boxed().toList(), seqs(reader), "a fast socket saw every event in order");
      assertEquals(0, reader.notices(), "a fast socket is never paused");
      assertEquals(0, reader.repeats());
    }
    long liveFrames = clients.get(0).frames.stream().filter(f -> Streams.liveAddress(STREAM).equals(f.getString("address"))).count();
    assertEquals(EVENTS, liveFrames, "a fast socket got every event live, none by a read");
    assertTrue(metric("hubbub_live_paused_total") >= 1, "live delivery to the slow socket paused");
    assertTrue(metric("hubbub_live_skipped_total") >= 1, "and skipped events rather than queueing them");
    double peak = metric("hubbub_live_queued_peak_bytes");
    assertTrue(peak > 0 && peak <= QUEUE_BYTES + 17_000, "a socket never had more than the bound (and one frame) queued: " + peak);
    assertTrue(slow.next() <= EVENTS, "the slow socket has not seen everything yet: " + slow.next());

    slowClient.socket().resume();
    await().atMost(Duration.ofSeconds(60)).until(() -> slow.next() > EVENTS);
    assertEquals(LongStream.rangeClosed(1, EVENTS).boxed().toList(), seqs(slow), "the slow socket ends with every event once, in order");
    assertTrue(slow.notices() >= 1, "it was told where live delivery stopped");
    assertEquals(0, slow.repeats(), "nothing twice");
  }

  private void publish(String token, int first, int count) throws Exception {
    JsonArray events = new JsonArray();
    for (int i = first; i < first + count; i++) {
      events.add(new JsonObject().put("type", "FLOOD").put("id", "f" + i).put("data", new JsonObject().put("n", i).put("text", TEXT)));
    }
    Response response = node.call(HttpMethod.POST, "/api/streams/" + STREAM + "/events", token, events);
    assertEquals(201, response.status(), response.body().toString());
  }

  private static List<Long> seqs(GaplessReader reader) {
    return reader.delivered().stream().map(e -> e.getLong("seq")).toList();
  }
}
