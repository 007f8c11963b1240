package io.hubbub.gateway;

import java.util.Locale;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP server's edges, as curl, browsers and slow or idle clients meet them: form-typed JSON bodies,
 * HEAD, the idle and request-read timeouts, and the SockJS iframe's own copy of the client.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class HttpEdgesTest {

  private final HttpClient client = HttpClient.newHttpClient();
  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("http").put("idleTimeoutSeconds", 2).put("requestTimeoutSeconds", 2));
  private TestNode node;

  @Test
  void curlsFormTypedBodiesAreReadAsJson() throws Exception {
    String body = new JsonObject().put("username", "carol").put("password", "p".repeat(900)).encode();
    HttpResponse<String> signup = send("POST", "/api/users", "application/x-www-form-urlencoded", body);
    assertEquals(201, signup.statusCode(), signup.body());
    HttpResponse<String> login = send("POST", "/api/sessions", "application/x-www-form-urlencoded", body);
    assertEquals(201, login.statusCode(), login.body());
    String token = new JsonObject(login.body()).getString("token");

    // a body of a few KiB that a form decoder would choke on (it answered 500 with a stack trace)
    String event = new JsonObject().put("type", "NOTE").put("data", new JsonObject().put("s", "x&y=z%".repeat(800))).encode();
    HttpResponse<String> published = client.send(HttpRequest.newBuilder(uri("/api/streams/app.forms/events"))
      .header("Content-Type", "application/x-www-form-urlencoded").header("Authorization", "Bearer " + token)
      .POST(HttpRequest.BodyPublishers.ofString(event)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, published.statusCode(), published.body());
    HttpResponse<String> broken = send("POST", "/api/users", "application/x-www-form-urlencoded", "a=b&" + "c".repeat(4_000));
    assertEquals(400, broken.statusCode());
    assertFalse(broken.body().contains("Exception"), broken.body());
    HttpResponse<String> multipart = send("POST", "/api/users", "multipart/form-data; boundary=x", "--x--");
    assertEquals(415, multipart.statusCode());
    assertEquals(415, new JsonObject(multipart.body()).getJsonObject("error").getInteger("code"));
  }

  @Test
  void headAnswersWhereGetDoes() throws Exception {
    for (String path : new String[] {"/health", "/", "/sensors", "/js/hubbub.js", "/vendor/sockjs.min.js", "/api/nothing"}) {
      HttpResponse<String> get = send("GET", path, null, null);
      String head = head(path);
      assertTrue(head.startsWith("HTTP/1.1 " + get.statusCode() + " "), "HEAD " + path + ": " + head);
      assertTrue(head.endsWith("\r\n\r\n"), "HEAD " + path + " has no body: " + head);
      String type = get.headers().firstValue("content-type").orElseThrow();
      assertTrue(head.toLowerCase(Locale.ROOT).contains("content-type: " + type.toLowerCase(Locale.ROOT)), "HEAD " + path + ": " + head);
    }
    assertTrue(head("/nothing-here").startsWith("HTTP/1.1 404 "));
  }

  @Test
  void theSockJsIframeLoadsTheClientFromThisGateway() throws Exception {
    HttpResponse<String> iframe = send("GET", "/eventbus/iframe.html", null, null);
    assertEquals(200, iframe.statusCode());
    assertTrue(iframe.body().contains("src=\"/vendor/sockjs.min.js\""), iframe.body());
    assertFalse(iframe.body().contains("cdn"), iframe.body());
  }

  @Test
  void aHalfSentRequestIsAnswered408AndClosed() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.port)) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      out.write("POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user"
        .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long started = System.nanoTime();
      // a byte a second keeps the connection from being idle: only the request-read timeout ends it
      String answer = null;
      InputStream in = socket.getInputStream();
      for (int i = 0; i < 10 && answer == null; i++) {
        Thread.sleep(1_000);
        if (in.available() > 0) {
          answer = new String(in.readNBytes(in.available()), StandardCharsets.US_ASCII);
        } else {
          out.write('x');
          out.flush();
        }
      }
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
      assertTrue(answer != null && answer.startsWith("HTTP/1.1 408"), "answer: " + answer);
      assertTrue(seconds < 8, "answered after " + seconds + " s");
      assertEquals(-1, in.read(), "the connection is closed");
    }
  }

  @Test
  void anIdleConnectionIsClosed() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.port)) {
      socket.setSoTimeout(15_000);
      long started = System.nanoTime();
      assertEquals(-1, socket.getInputStream().read(), "closed by the server");
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
      assertTrue(seconds >= 1 && seconds < 10, "closed after " + seconds + " s");
    }
  }

  /** A HEAD request on its own connection: everything the server wrote until it closed. */
  private String head(String path) throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("HEAD " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  private HttpResponse<String> send(String method, String path, String type, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
      .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (type != null) {
      request.header("Content-Type", type);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + node.port + path);
  }
}
