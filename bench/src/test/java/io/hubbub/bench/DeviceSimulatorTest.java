package io.hubbub.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The simulator's requests against a real HTTP server that refuses, is unavailable, and goes away and comes back. */
class DeviceSimulatorTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** A server on {@code port} (0: any) answering every request with {@code status} and {@code {"token": "t"}}. */
  private HttpServer serve(int port, AtomicInteger status) throws Exception {
    return vertx.createHttpServer()
      .requestHandler(request -> request.response().setStatusCode(status.get()).end(new JsonObject().put("token", "t").encode()))
      .listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  @Test
  void aWrongPasswordIsOneLineNamingIt() throws Exception {
    HttpServer server = serve(0, new AtomicInteger(401));
    DeviceSimulator simulator = new DeviceSimulator("http://127.0.0.1:" + server.actualPort());
    DeviceSimulator.Refused refused = assertThrows(DeviceSimulator.Refused.class, () -> simulator.login("admin", "nope"));
    assertEquals("wrong password for user 'admin' at http://127.0.0.1:" + server.actualPort()
      + " (--password or HUBBUB_ADMIN_PASSWORD)", refused.getMessage());
  }

  @Test
  void aServerThatGoesAwayIsWaitedForWithBackoff() throws Exception {
    AtomicInteger status = new AtomicInteger(503);
    HttpServer first = serve(0, status);
    int port = first.actualPort();
    DeviceSimulator simulator = new DeviceSimulator("http://127.0.0.1:" + port);
    first.close().await(10, TimeUnit.SECONDS); // the server restarts: first nothing listens
    CompletableFuture<String> token = CompletableFuture.supplyAsync(() -> {
      try {
        return simulator.login("admin", "right");
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(1_200);
    assertFalse(token.isDone(), "still waiting for the server");
    serve(port, status); // back, but not ready yet: 503
    Thread.sleep(1_000);
    assertFalse(token.isDone(), "503 is waited out too");
    status.set(200);
    assertEquals("t", token.get(30, TimeUnit.SECONDS));
  }
}
