package io.hubbub.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttServerOptions;
import io.vertx.mqtt.messages.MqttPublishMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The simulator's requests against a real HTTP server that refuses, is unavailable, and goes away and comes back; its
 * MQTT devices against a real MQTT server (vertx-mqtt's).
 */
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
  void mqttDevicesPublishAtQos1OnTheirTopicAndARefusedConnectIsOneLine() throws Exception {
    BlockingQueue<MqttPublishMessage> received = new LinkedBlockingQueue<>();
    MqttServer broker = MqttServer.create(vertx, new MqttServerOptions().setHost("127.0.0.1").setPort(0)).endpointHandler(endpoint -> {
      if (endpoint.auth() != null && "k1".equals(endpoint.auth().getPassword()) && "d1".equals(endpoint.auth().getUsername())) {
        endpoint.publishAutoAck(true).publishHandler(received::add); // PUBACK sent by the library
        endpoint.accept(false);
      } else {
        endpoint.reject(MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD);
      }
    });
    int port = broker.listen().await(10, TimeUnit.SECONDS).actualPort();
    try (MqttDevices devices = new MqttDevices("127.0.0.1", port, false)) {
      devices.connect(List.of("d1"), List.of("k1"));
      devices.publish(0, new JsonArray().add(new JsonObject().put("kind", "temperature").put("value", 21.5)));
      MqttPublishMessage message = received.poll(10, TimeUnit.SECONDS);
      assertEquals("sensor/d1/readings", message.topicName());
      assertEquals(MqttQoS.AT_LEAST_ONCE, message.qosLevel());
      assertEquals(21.5, message.payload().toJsonArray().getJsonObject(0).getDouble("value"));
      long deadline = System.currentTimeMillis() + 10_000;
      while (devices.acknowledged() < 1 && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(1, devices.acknowledged());
    }
    try (MqttDevices devices = new MqttDevices("127.0.0.1", port, false)) {
      DeviceSimulator.Refused refused = assertThrows(DeviceSimulator.Refused.class,
        () -> devices.connect(List.of("d1"), List.of("wrong")));
      assertEquals("MQTT CONNECT of d1 refused: CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD", refused.getMessage());
    }
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
