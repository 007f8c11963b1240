package io.hubbub.gateway;

import io.hubbub.Node;
import io.hubbub.client.Response;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PROTOCOL v1.1 "Live over plain HTTP", through the real server with a plain HTTP client (the JDK's): Server-Sent
 * Events from a seq on, then live, gapless; {@code Last-Event-ID}; the errors; a logout ending the stream; and a
 * reader that stops reading, which gets every event once when it reads again.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LiveHttpTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.put("limits", new JsonObject().put("liveStreams", 2)))
    .withMetrics(); // the slow reader's test reads a meter
  private TestNode node;
  private final HttpClient client = HttpClient.newHttpClient();
  private final List<Sse> opened = new ArrayList<>();

  @AfterEach
  void closeStreams() {
    opened.forEach(Sse::close);
  }

  /** One Server-Sent Event as the client parsed it. */
  record Event(long id, String type, JsonObject data) {
  }

  /** Server-Sent Events parsed from text as it comes, into a queue the test takes them from. */
  static class Events {
    private static final Object END = new Object();
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final StringBuilder pending = new StringBuilder();
    private Long id;
    private String type;
    private final StringBuilder data = new StringBuilder();

    /** Takes text as it arrives, in pieces of any size. */
    synchronized void feed(String text) {
      pending.append(text);
      int end;
      while ((end = pending.indexOf("\n")) >= 0) {
        line(pending.substring(0, end));
        pending.delete(0, end + 1);
      }
    }

    private void line(String line) {
      if (line.isEmpty()) {
        if (id != null) {
          queue.add(new Event(id, type, new JsonObject(data.toString())));
        }
        id = null;
        type = null;
        data.setLength(0);
      } else if (line.startsWith("id: ")) {
        id = Long.parseLong(line.substring(4));
      } else if (line.startsWith("event: ")) {
        type = line.substring(7);
      } else if (line.startsWith("data: ")) {
        data.append(line.substring(6));
      }
    }

    void end() {
      queue.add(END);
    }

    Event next() throws InterruptedException {
      Object next = queue.poll(30, TimeUnit.SECONDS);
      assertThat(next).as("an event within 30 s").isNotNull().isNotSameAs(END);
      return (Event) next;
    }

    /** Whether the server ended the stream within 10 s (no event before). */
    boolean ended() throws InterruptedException {
      return queue.poll(10, TimeUnit.SECONDS) == END;
    }
  }

  /** A stream read with the JDK's HTTP client, on a thread of its own once {@link #read} is called. */
  static final class Sse extends Events implements AutoCloseable {
    final HttpResponse<InputStream> response;

    Sse(HttpResponse<InputStream> response) {
      this.response = response;
    }

    Sse read() {
      Thread reader = new Thread(() -> {
        try (InputStreamReader in = new InputStreamReader(response.body(), StandardCharsets.UTF_8)) {
          char[] buffer = new char[8192];
          int n;
          while ((n = in.read(buffer)) >= 0) {
            feed(new String(buffer, 0, n));
          }
        } catch (IOException e) {
          // closed
        }
        end();
      }, "sse-reader");
      reader.setDaemon(true);
      reader.start();
      return this;
    }

    @Override
    public void close() {
      try {
        response.body().close();
      } catch (IOException e) {
        // gone
      }
    }
  }

  private HttpResponse<InputStream> get(String path, String token, String lastEventId) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port + path))
      .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(30));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  private Sse open(String path, String token, String lastEventId) throws Exception {
    HttpResponse<InputStream> response = get(path, token, lastEventId);
    assertThat(response.statusCode()).as(path).isEqualTo(200);
    Sse sse = new Sse(response);
    opened.add(sse);
    return sse;
  }

  /** The error a request got: status and message. */
  private JsonObject refused(String path, String token, String lastEventId) throws Exception {
    HttpResponse<InputStream> response = get(path, token, lastEventId);
    try (InputStream body = response.body()) {
      JsonObject error = new JsonObject(new String(body.readAllBytes(), StandardCharsets.UTF_8)).getJsonObject("error");
      assertThat(error.getInteger("code")).isEqualTo(response.statusCode());
      return error;
    }
  }

  private void publish(String token, String stream, int count, String text) throws Exception {
    JsonArray events = new JsonArray(IntStream.range(0, count)
      .mapToObj(i -> (Object) new JsonObject().put("type", "TICK").put("data", new JsonObject().put("s", text))).toList());
    Response published = node.call(HttpMethod.POST, "/api/streams/" + stream + "/events", token, events);
    assertThat(published.status()).as(published.body().toString()).isEqualTo(201);
  }

  @Test
  void readsFromAfterThenFollowsLiveEachEventWithItsSeqAsId() throws Exception {
    String token = node.user("sse").await(30, TimeUnit.SECONDS);
    publish(token, "app.sse", 5, "x");
    Sse sse = open("/api/streams/app.sse/live?after=2", token, null);
    assertThat(sse.response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
    assertThat(sse.response.headers().firstValue("Cache-Control")).hasValue("no-cache");
    sse.read();
    for (long seq = 3; seq <= 5; seq++) {
      Event event = sse.next();
      assertThat(event.id()).isEqualTo(seq);
      assertThat(event.type()).isEqualTo("TICK");
      assertThat(event.data().getString("stream")).isEqualTo("app.sse");
      assertThat(event.data().getLong("seq")).isEqualTo(seq);
      assertThat(event.data().getString("by")).isEqualTo("sse");
    }
    publish(token, "app.sse", 2, "live");
    assertThat(List.of(sse.next().id(), sse.next().id())).containsExactly(6L, 7L);
  }

  @Test
  void lastEventIdWinsOverAfterAndWithNeitherOnlyNewEventsCome() throws Exception {
    String token = node.user("sse").await(30, TimeUnit.SECONDS);
    publish(token, "app.resume", 3, "old");
    Sse fresh = open("/api/streams/app.resume/live", token, null).read();
    Sse resumed = open("/api/streams/app.resume/live?after=0", token, "2").read();
    publish(token, "app.resume", 1, "new");
    assertThat(fresh.next().id()).as("neither: only what is stored from now on").isEqualTo(4);
    assertThat(List.of(resumed.next().id(), resumed.next().id())).as("after Last-Event-ID, not ?after").containsExactly(3L, 4L);
  }

  @Test
  void eachBadRequestGetsTheProtocolsAnswer() throws Exception {
    String token = node.user("sse").await(30, TimeUnit.SECONDS);
    publish(token, "app.errors", 3, "x");
    assertThat(refused("/api/streams/app.errors/live", null, null).getInteger("code")).isEqualTo(401);
    assertThat(refused("/api/streams/auth.logins/live", token, null).getInteger("code")).as("admins only").isEqualTo(403);
    assertThat(refused("/api/streams/app.errors/live", token, "soon").getString("message")).contains("Last-Event-ID");
    assertThat(refused("/api/streams/app.errors/live?after=-1", token, null).getInteger("code")).isEqualTo(400);
    assertThat(refused("/api/streams/app.errors/live?after=99", token, null).getString("message")).contains("last seq is 3");
    assertThat(refused("/api/streams/App.errors/live", token, null).getString("message")).contains("not a stream name");
    assertThat(refused("/api/streams/app.errors/live?access_token=not-a-token", null, null).getInteger("code")).isEqualTo(401);

    Sse byQuery = open("/api/streams/app.errors/live?after=2&access_token=" + token, null, null).read();
    assertThat(byQuery.next().id()).as("EventSource sends no header: the token may come as access_token").isEqualTo(3);
  }

  @Test
  void aPrincipalHasAtMostLiveStreamsOpenAndAClosedOneFreesItsPlace() throws Exception {
    String token = node.user("sse").await(30, TimeUnit.SECONDS);
    String other = node.user("other").await(30, TimeUnit.SECONDS);
    open("/api/streams/app.one/live", token, null).read();
    Sse second = open("/api/streams/app.two/live", token, null).read();
    JsonObject refused = refused("/api/streams/app.three/live", token, null);
    assertThat(refused.getInteger("code")).isEqualTo(429);
    assertThat(refused.getString("message")).contains("at most 2 live streams");
    open("/api/streams/app.three/live", other, null).read(); // another user's count is their own

    second.close();
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
      HttpResponse<InputStream> response = get("/api/streams/app.three/live", token, null);
      if (response.statusCode() == 200) {
        opened.add(new Sse(response));
        return true;
      }
      response.body().close();
      return false;
    });
  }

  @Test
  void aLogoutEndsTheStreamsOfItsSession() throws Exception {
    String token = node.user("sse").await(30, TimeUnit.SECONDS);
    Sse sse = open("/api/streams/app.logout/live", token, null).read();
    publish(token, "app.logout", 1, "x");
    assertThat(sse.next().id()).isEqualTo(1);
    assertThat(node.call(HttpMethod.DELETE, "/api/sessions/current", token, null).status()).isEqualTo(204);
    assertThat(sse.ended()).as("the stream ends with its session").isTrue();
  }

  @Test
  void aReaderThatStopsReadingGetsEveryEventOnceWhenItReadsAgain() throws Exception {
    String token = node.user("sse").await(30, TimeUnit.SECONDS);
    double before = Node.registry().counter("hubbub.live.http.behind").count();
    // Vert.x's client, paused: it reads nothing from the socket, so the server's writes back up
    io.vertx.core.http.HttpClient vertxClient = node.vertx.createHttpClient();
    Events slow = new Events();
    HttpClientResponse response = vertxClient.request(new RequestOptions().setHost("127.0.0.1").setPort(node.port)
        .setURI("/api/streams/app.slow/live?after=0").putHeader("Authorization", "Bearer " + token))
      .compose(request -> request.send())
      .await(30, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    response.pause();
    response.handler(buffer -> slow.feed(buffer.toString(StandardCharsets.UTF_8)));
    response.endHandler(v -> slow.end());
    int batches = 40;
    int perBatch = 20;
    String big = "x".repeat(30_000);
    for (int i = 0; i < batches; i++) {
      publish(token, "app.slow", perBatch, big);
    }
    // the events reach the gateway a moment after their acks
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Node.registry().counter("hubbub.live.http.behind").count())
      .as("its write queue filled (24 MB published)").isGreaterThan(before));
    response.resume();
    for (long seq = 1; seq <= (long) batches * perBatch; seq++) {
      assertThat(slow.next().id()).as("every event once, in order").isEqualTo(seq);
    }
    publish(token, "app.slow", 1, "and live again");
    assertThat(slow.next().id()).isEqualTo((long) batches * perBatch + 1);
    vertxClient.close().await(10, TimeUnit.SECONDS);
  }
}
