package io.hubbub.gateway;

import io.hubbub.support.TestCerts;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PROTOCOL v1.1 "TLS and origins": http.tls serves HTTPS and WSS on the one port; plain HTTP there gets nothing. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class HttpsTest {

  @TempDir
  static Path dir;
  private static TestCerts certs;
  private TestNode node;
  /** The WebSocket client's own Vert.x, as a browser is its own process: never on the server's event loops. */
  private final Vertx client = Vertx.vertx();

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext ctx) throws Exception {
    if (certs == null) {
      certs = TestCerts.authority(dir);
    }
    JsonObject server = certs.signed("gateway");
    JsonObject conf = TestConf.node();
    conf.getJsonObject("http").put("tls", new JsonObject().put("cert", server.getString("cert")).put("key", server.getString("key")));
    TestNode.start(vertx, conf).onComplete(ctx.succeeding(n -> {
      node = n;
      ctx.completeNow();
    }));
  }

  @AfterEach
  void undeploy(VertxTestContext ctx) {
    node.stop().eventually(client::close).onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void httpsAndWssOnOnePort(VertxTestContext ctx) throws Exception {
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(certs.trustStore());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, trust.getTrustManagers(), null);
    HttpClient https = HttpClient.newBuilder().sslContext(tls).build();
    String credentials = new JsonObject().put("username", "tess").put("password", "tess-password").encode();
    HttpResponse<String> signup = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + node.port + "/api/users"))
      .POST(HttpRequest.BodyPublishers.ofString(credentials)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, signup.statusCode(), signup.body());
    HttpResponse<String> login = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + node.port + "/api/sessions"))
      .POST(HttpRequest.BodyPublishers.ofString(credentials)).build(), HttpResponse.BodyHandlers.ofString());
    String token = new JsonObject(login.body()).getString("token");

    WebSocketClient wss = client.createWebSocketClient(new WebSocketClientOptions().setSsl(true)
      .setTrustOptions(new PemTrustOptions().addCertPath(certs.caPem.toString())));
    // WSS before the refused connections below: with them just before it, the upgrade was sometimes closed unanswered
    // (about one run in seven; not yet understood, and not seen with WSS first)
    JsonObject frame = wss.connect(new WebSocketConnectOptions().setHost("localhost").setPort(node.port).setURI("/eventbus/websocket")
        .setTimeout(10_000))
      .compose(socket -> {
        io.vertx.core.Promise<JsonObject> reply = io.vertx.core.Promise.promise();
        socket.textMessageHandler(text -> reply.tryComplete(new JsonObject(text)));
        socket.binaryMessageHandler(bytes -> reply.tryComplete(new JsonObject(bytes)));
        return socket.writeTextMessage(new JsonObject().put("type", "send").put("address", "streams.publish").put("replyAddress", "reply-1")
            .put("headers", new JsonObject().put("authorization", "Bearer " + token))
            .put("body", new JsonObject().put("stream", "app.tls").put("type", "SECURE").put("data", new JsonObject())).encode())
          .compose(v -> reply.future().timeout(10, TimeUnit.SECONDS));
      })
      .await(30, TimeUnit.SECONDS);
    assertEquals("reply-1", frame.getString("address"), frame.encode());
    assertEquals(1L, frame.getJsonObject("body").getLong("seq"), frame.encode());
    assertTrue(frame.getJsonObject("body").getString("id").length() > 0);

    // a client that does not trust the CA refuses the server; plain HTTP on the TLS port gets no answer
    assertThrows(SSLHandshakeException.class, () -> HttpClient.newHttpClient().send(
      HttpRequest.newBuilder(URI.create("https://localhost:" + node.port + "/health")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));
    assertThrows(IOException.class, () -> HttpClient.newHttpClient().send(
      HttpRequest.newBuilder(URI.create("http://localhost:" + node.port + "/health")).timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString()));

    ctx.completeNow();
  }
}
