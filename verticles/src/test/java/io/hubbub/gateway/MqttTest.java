package io.hubbub.gateway;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.hubbub.bus.AuthBus;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestCerts;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.TrustOptions;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import io.vertx.mqtt.MqttConnectionException;
import io.vertx.mqtt.messages.MqttPublishMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.slf4j.LoggerFactory;

import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Devices over MQTT, through the real listener with real MQTT clients (Vert.x's for MQTT 3.1.1, Eclipse Paho's for
 * MQTT 5, which gets reason codes where 3.1.1 gets a closed connection): QoS 1 acknowledged
 * once stored, QoS 0 and 2 taken, credentials checked, a device kept to its own topics, bad input answered by
 * closing the connection (3.1.1 has no negative acknowledgement) with a line in {@code audit.access}, alerts on
 * {@code sensor/<id>/alerts}, a revoked key ending the connection, and TLS with the HTTP certificate.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MqttTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf
    .put("sensors", new JsonObject().put("alerts", new JsonArray().add(new JsonObject().put("kind", "temperature").put("above", 30))))
    .put("mqtt", new JsonObject().put("enabled", true).put("port", 0).put("maxPayloadBytes", 4_096))
    .put("audit", new JsonObject().put("access", new JsonObject().put("perRemote", 100).put("total", 100)))) // every line kept
    .withMetrics();
  private TestNode node;
  /** The devices' own Vert.x, as a device is its own process (held so the node's extension does not take the field). */
  private final AtomicReference<Vertx> devices = new AtomicReference<>(Vertx.vertx());
  private final List<MqttClient> clients = new ArrayList<>();

  @TempDir
  Path dir;

  @AfterEach
  void close() throws Exception {
    Future.join(clients.stream().map(c -> c.isConnected() ? c.disconnect() : Future.succeededFuture()).toList())
      .otherwiseEmpty().await(10, TimeUnit.SECONDS);
    devices.get().close().await(10, TimeUnit.SECONDS);
  }

  private int mqttPort(TestNode on) {
    return (Integer) on.vertx.sharedData().getLocalMap(GatewayVerticle.LOCAL_MAP).get(GatewayVerticle.MQTT_PORT_KEY);
  }

  private String register(String device) throws Exception {
    String admin = node.adminToken().await(30, TimeUnit.SECONDS);
    return node.call(HttpMethod.POST, "/api/devices", admin, new JsonObject().put("deviceId", device)).json().getString("key");
  }

  /** A connected client; its PUBACKs and PUBCOMPs land in {@code completed}, what it receives in {@code received}. */
  private final class Device {
    final MqttClient client;
    final BlockingQueue<Integer> completed = new LinkedBlockingQueue<>();
    final BlockingQueue<MqttPublishMessage> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Void> closed = new CompletableFuture<>();

    Device(MqttClientOptions options) {
      client = MqttClient.create(devices.get(), options.setAckTimeout(30).setAutoKeepAlive(true));
      clients.add(client);
      client.publishCompletionHandler(completed::add);
      client.publishHandler(received::add);
      client.closeHandler(v -> closed.complete(null));
    }

    Future<?> connect(int port) {
      return client.connect(port, "127.0.0.1");
    }

    /** Publishes and, for QoS 1 and 2, waits for the acknowledgement. */
    void publish(String topic, Object payload, MqttQoS qos) throws Exception {
      int id = client.publish(topic, Buffer.buffer(payload.toString()), qos, false, false).await(10, TimeUnit.SECONDS);
      if (qos != MqttQoS.AT_MOST_ONCE) {
        assertEquals(id, completed.poll(20, TimeUnit.SECONDS), "acknowledged: " + payload);
      }
    }
  }

  private Device connected(String device, String key) throws Exception {
    Device d = new Device(new MqttClientOptions().setClientId(device + "-client").setUsername(device).setPassword(key));
    d.connect(mqttPort(node)).await(20, TimeUnit.SECONDS);
    return d;
  }

  private long lastSeq(String stream) throws Exception {
    String admin = node.adminToken().await(30, TimeUnit.SECONDS);
    return node.call(HttpMethod.GET, "/api/streams/" + stream, admin, null).json().getLong("lastSeq", 0L);
  }

  private static JsonObject reading(double value) {
    return new JsonObject().put("kind", "temperature").put("value", value).put("unit", "C");
  }

  @Test
  void qos1IsAcknowledgedOnlyOnceStoredAndQos0And2AreTakenToo() throws Exception {
    String key = register("gh1");
    Device device = connected("gh1", key);
    device.publish("sensor/gh1/readings", reading(21.5), MqttQoS.AT_LEAST_ONCE);
    assertEquals(1, lastSeq("sensor.gh1"), "stored when acknowledged");
    device.publish("sensor/gh1/readings", new JsonArray().add(reading(21.6)).add(reading(21.7).put("id", "r-3")), MqttQoS.AT_LEAST_ONCE);
    assertEquals(3, lastSeq("sensor.gh1"), "an array: every reading stored when acknowledged");
    device.publish("sensor/gh1/readings", reading(21.8), MqttQoS.EXACTLY_ONCE); // served as QoS 1: PUBREC once stored
    assertEquals(4, lastSeq("sensor.gh1"));
    device.publish("sensor/gh1/readings", reading(21.9), MqttQoS.AT_MOST_ONCE);
    device.publish("sensor/gh1/readings", reading(21.7).put("id", "r-3"), MqttQoS.AT_LEAST_ONCE); // again: not stored twice
    assertEquals(5, lastSeq("sensor.gh1"), "QoS 0 stored (before the next QoS 1 was acknowledged), the repeated id once");
    // aggregates hold them all: the same path as HTTP's
    String admin = node.adminToken().await(30, TimeUnit.SECONDS);
    long deadline = System.currentTimeMillis() + 20_000;
    while (node.call(HttpMethod.GET, "/api/sensors/gh1", admin, null).json().getLong("appliedSeq") < 5
      && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    JsonObject status = node.call(HttpMethod.GET, "/api/sensors/gh1", admin, null).json();
    assertEquals(5, status.getLong("appliedSeq"));
    assertEquals(21.9, status.getJsonObject("last").getJsonObject("temperature").getDouble("value"));
    assertTrue(device.client.isConnected());
  }

  @Test
  void badCredentialsAreRefusedWithTheReturnCodeAndALineInTheAccessTrail() throws Exception {
    String key = register("gh2");
    register("gh3");
    for (MqttClientOptions options : List.of(
        new MqttClientOptions().setClientId("gh2").setUsername("gh2").setPassword("not-the-key"),
        new MqttClientOptions().setClientId("gh3").setUsername("gh3").setPassword(key), // gh2's key
        new MqttClientOptions().setClientId("gh2"), // no key
        new MqttClientOptions().setClientId("x").setUsername("no such device!").setPassword(key))) {
      Throwable refused = refusal(new Device(options).connect(mqttPort(node)));
      assertThat(refused).as("refused: " + options.getUsername()).isInstanceOf(MqttConnectionException.class);
      assertEquals(MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD, ((MqttConnectionException) refused).code(),
        "the CONNACK code");
    }
    connected("gh2", key).publish("sensor/gh2/readings", reading(20), MqttQoS.AT_LEAST_ONCE);
    assertThat(refusals(4)).filteredOn(r -> r.getString("target").equals("mqtt CONNECT")).hasSize(4)
      .allSatisfy(r -> assertEquals(401, r.getInteger("code")));
  }

  @Test
  void aDeviceIsKeptToItsOwnTopicAndBadInputClosesTheConnectionWithALine() throws Exception {
    String key = register("gh4");
    register("gh5");
    Object[][] cases = {
      {"sensor/gh5/readings", reading(20).encode(), 403},
      {"sensor/gh4/other", reading(20).encode(), 400},
      {"sensor/gh4/readings", "{not json", 400},
      {"sensor/gh4/readings", "\"a string\"", 400},
      {"sensor/gh4/readings", new JsonObject().put("kind", "temperature").put("value", "hot").encode(), 400},
      {"sensor/gh4/readings", "[" + (reading(20).encode() + ",").repeat(95) + reading(20).encode() + "]", 413},
      // past the largest packet (payload limit + 1 KiB): the decoder cuts it off unread, the listener still answers
      {"sensor/gh4/readings", "[" + (reading(20).encode() + ",").repeat(150) + reading(20).encode() + "]", 413, "mqtt PUBLISH"},
    };
    for (Object[] c : cases) {
      Device device = connected("gh4", key);
      device.client.publish((String) c[0], Buffer.buffer((String) c[1]), MqttQoS.AT_LEAST_ONCE, false, false);
      device.closed.get(20, TimeUnit.SECONDS); // MQTT 3.1.1: no negative PUBACK, the server closes the connection
      assertTrue(device.completed.isEmpty(), "not acknowledged: " + c[1]);
    }
    assertEquals(0, lastSeq("sensor.gh4"));
    assertEquals(0, lastSeq("sensor.gh5"));
    List<JsonObject> refusals = refusals(cases.length);
    for (Object[] c : cases) {
      assertThat(refusals).as("a line for " + c[0] + " " + c[1])
        .anySatisfy(r -> {
          assertEquals(c.length > 3 ? c[3] : "mqtt " + c[0], r.getString("target"));
          assertEquals(c[2], r.getInteger("code"));
          assertEquals("gh4", r.getString("principal"));
        });
    }
    assertThat(refusals).noneSatisfy(r -> assertThat(r.getString("reason")).contains("Exception"));
    // and it still works
    connected("gh4", key).publish("sensor/gh4/readings", reading(20), MqttQoS.AT_LEAST_ONCE);
    assertEquals(1, lastSeq("sensor.gh4"));
  }

  @Test
  void alertsGoToTheDeviceThatSubscribedToItsOwnTopicOnly() throws Exception {
    String key = register("gh6");
    register("gh7");
    Device device = connected("gh6", key);
    CompletableFuture<List<Integer>> granted = new CompletableFuture<>();
    device.client.subscribeCompletionHandler(ack -> granted.complete(ack.grantedQoSLevels()));
    device.client.subscribe(java.util.Map.of("sensor/gh6/alerts", 1, "sensor/gh7/alerts", 1)).await(10, TimeUnit.SECONDS);
    List<Integer> levels = granted.get(10, TimeUnit.SECONDS);
    assertThat(levels).containsExactlyInAnyOrder(0, MqttQoS.FAILURE.value());
    device.publish("sensor/gh6/readings", reading(35), MqttQoS.AT_LEAST_ONCE); // above 30: an alert at once
    MqttPublishMessage alert = device.received.poll(20, TimeUnit.SECONDS);
    assertNotNull(alert, "the alert arrived");
    assertEquals("sensor/gh6/alerts", alert.topicName());
    JsonObject event = alert.payload().toJsonObject();
    assertEquals("ALERT", event.getString("type"));
    assertEquals("gh6", event.getJsonObject("data").getString("deviceId"));
    assertThat(refusals(1)).anySatisfy(r -> assertEquals("mqtt SUBSCRIBE sensor/gh7/alerts", r.getString("target")));
  }

  @Test
  void aRevokedDeviceIsDisconnected() throws Exception {
    String key = register("gh8");
    Device device = connected("gh8", key);
    device.publish("sensor/gh8/readings", reading(20), MqttQoS.AT_LEAST_ONCE);
    String admin = node.adminToken().await(30, TimeUnit.SECONDS);
    assertEquals(204, node.call(HttpMethod.DELETE, "/api/devices/gh8", admin, null).status());
    device.closed.get(20, TimeUnit.SECONDS);
    Device again = new Device(new MqttClientOptions().setClientId("gh8").setUsername("gh8").setPassword(key));
    assertThat(refusal(again.connect(mqttPort(node)))).isInstanceOf(MqttConnectionException.class);
  }

  @Test
  void mqttOverTlsWithTheHttpCertificate() throws Exception {
    TestCerts certs = TestCerts.authority(dir);
    JsonObject pem = certs.signed("gateway");
    JsonObject conf = TestConf.node().put("mqtt", new JsonObject().put("enabled", true).put("port", 0));
    conf.getJsonObject("http").put("tls", new JsonObject().put("cert", pem.getString("cert")).put("key", pem.getString("key")));
    Vertx vertx = Vertx.vertx();
    TestNode secure = TestNode.start(vertx, conf).await(60, TimeUnit.SECONDS);
    try {
      String key = AuthBus.DEVICE_CREATE.request(vertx.eventBus(), new AuthBus.NewDevice("gh9", "Greenhouse 9", "admin"), 10_000)
        .await(20, TimeUnit.SECONDS).getString("key");
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(certs.trustStore());
      Device device = new Device(new MqttClientOptions().setClientId("gh9").setUsername("gh9").setPassword(key)
        .setSsl(true).setTrustOptions(TrustOptions.wrap(trust.getTrustManagers()[0])).setHostnameVerificationAlgorithm("HTTPS"));
      device.connect(mqttPort(secure)).await(20, TimeUnit.SECONDS);
      device.publish("sensor/gh9/readings", reading(20), MqttQoS.AT_LEAST_ONCE);
      // plain MQTT on that port gets no session
      Device plain = new Device(new MqttClientOptions().setClientId("gh9").setUsername("gh9").setPassword(key));
      assertNotNull(refusal(plain.connect(mqttPort(secure))), "plain MQTT refused");
    } finally {
      secure.stop().await(60, TimeUnit.SECONDS);
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void mqtt5GetsReasonCodesAndStaysConnected() throws Exception {
    String key = register("gh10");
    register("gh11");
    CompletableFuture<Integer> disconnected = new CompletableFuture<>();
    MqttAsyncClient paho = paho("gh10-v5", disconnected);
    try {
      MqttConnectionOptions wrong = pahoOptions("gh10", "not-the-key");
      MqttException refused = org.junit.jupiter.api.Assertions.assertThrows(MqttException.class,
        () -> paho.connect(wrong).waitForCompletion(20_000));
      assertEquals(0x86, refused.getReasonCode(), "CONNACK: bad user name or password");

      paho.connect(pahoOptions("gh10", key)).waitForCompletion(20_000);
      Object[][] cases = {
        {"sensor/gh11/readings", reading(20).encode(), 0x87},
        {"sensor/gh10/elsewhere", reading(20).encode(), 0x90},
        {"sensor/gh10/readings", "{not json", 0x99},
        {"sensor/gh10/readings", new JsonObject().put("kind", "temperature").encode(), 0x99},
        {"sensor/gh10/readings", "[" + (reading(20).encode() + ",").repeat(95) + reading(20).encode() + "]", 0x99},
        {"sensor/gh10/readings", reading(20).encode(), 0},
      };
      for (Object[] c : cases) {
        IMqttToken token = paho.publish((String) c[0], ((String) c[1]).getBytes(StandardCharsets.UTF_8), 1, false);
        try {
          token.waitForCompletion(20_000);
        } catch (MqttException e) {
          // Paho reports a refusing PUBACK as a failed token: its reason code is the PUBACK's
          assertEquals(c[2], e.getReasonCode(), "PUBACK for " + c[0] + " " + c[1]);
          continue;
        }
        assertEquals(c[2], token.getReasonCodes()[0], "PUBACK for " + c[0] + " " + c[1]);
      }
      assertTrue(paho.isConnected(), "MQTT 5: refused publishes leave the connection up");
      // past the largest packet (payload limit + 1 KiB) the server does not read it: DISCONNECT 0x95, packet too large
      byte[] huge = ("[" + (reading(20).encode() + ",").repeat(150) + reading(20).encode() + "]").getBytes(StandardCharsets.UTF_8);
      org.junit.jupiter.api.Assertions.assertThrows(MqttException.class,
        () -> paho.publish("sensor/gh10/readings", huge, 1, false).waitForCompletion(20_000));
      assertEquals(0x95, disconnected.get(20, TimeUnit.SECONDS), "DISCONNECT: packet too large");
      assertEquals(1, lastSeq("sensor.gh10"));
      assertEquals(0, lastSeq("sensor.gh11"));
    } finally {
      disconnect(paho);
    }
  }

  /** An MQTT 5 client (Eclipse Paho): a DISCONNECT from the server completes {@code disconnected} with its reason code. */
  private MqttAsyncClient paho(String clientId, CompletableFuture<Integer> disconnected) throws MqttException {
    MqttAsyncClient paho = new MqttAsyncClient("tcp://127.0.0.1:" + mqttPort(node), clientId, new MemoryPersistence());
    paho.setCallback(onDisconnect(disconnected));
    return paho;
  }

  private static MqttConnectionOptions pahoOptions(String device, String key) {
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setUserName(device);
    options.setPassword(key.getBytes(StandardCharsets.UTF_8));
    return options;
  }

  private static void disconnect(MqttAsyncClient paho) throws MqttException {
    if (paho.isConnected()) {
      paho.disconnect().waitForCompletion(10_000);
    }
    paho.close();
  }

  private static MqttCallback onDisconnect(CompletableFuture<Integer> disconnected) {
    return new MqttCallback() {
      @Override
      public void disconnected(MqttDisconnectResponse response) {
        disconnected.complete(response.getReturnCode());
      }

      @Override
      public void mqttErrorOccurred(MqttException exception) {
      }

      @Override
      public void messageArrived(String topic, MqttMessage message) {
      }

      @Override
      public void deliveryComplete(IMqttToken token) {
      }

      @Override
      public void connectComplete(boolean reconnect, String serverUri) {
      }

      @Override
      public void authPacketArrived(int reasonCode, MqttProperties properties) {
      }
    };
  }

  /**
   * One connection a device's client id, as MQTT asks: a second connection with it ends the first, MQTT 5 with
   * DISCONNECT 0x8E (session taken over), 3.1.1 closed; another device connecting with the same client id ends nothing.
   */
  @Test
  void aSecondConnectionWithTheSameClientIdTakesOverTheFirst() throws Exception {
    String key = register("gh50");
    CompletableFuture<Integer> disconnected = new CompletableFuture<>();
    MqttAsyncClient paho = paho("gh50-client", disconnected);
    try {
      paho.connect(pahoOptions("gh50", key)).waitForCompletion(20_000);
      Device second = connected("gh50", key); // MQTT 3.1.1, the same client id
      assertEquals(0x8E, disconnected.get(20, TimeUnit.SECONDS), "DISCONNECT: session taken over");
      Device third = connected("gh50", key);
      second.closed.get(20, TimeUnit.SECONDS); // 3.1.1: closed
      String strangerKey = register("gh51");
      Device stranger = new Device(new MqttClientOptions().setClientId("gh50-client").setUsername("gh51").setPassword(strangerKey));
      stranger.connect(mqttPort(node)).await(20, TimeUnit.SECONDS);
      third.publish("sensor/gh50/readings", reading(20), MqttQoS.AT_LEAST_ONCE);
      stranger.publish("sensor/gh51/readings", reading(21), MqttQoS.AT_LEAST_ONCE);
      assertTrue(third.client.isConnected() && !third.closed.isDone(), "another device's client id is its own");
      assertEquals(1, lastSeq("sensor.gh50"));
      assertEquals(1, lastSeq("sensor.gh51"));
      assertEquals(2.0, metric("hubbub_mqtt_connections"));
    } finally {
      disconnect(paho);
    }
  }

  /** The sum of a gauge's series on {@code /metrics}. */
  private double metric(String name) throws Exception {
    String admin = node.adminToken().await(30, TimeUnit.SECONDS);
    String text = node.call(HttpMethod.GET, "/metrics", admin, null).body().toString();
    Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(text);
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(2));
    }
    return sum;
  }

  /**
   * A device that hangs up while its key is looked up (its first use: not cached yet) is answered nothing and leaves
   * nothing behind; vertx-mqtt throws when a closed endpoint is accepted, which left its connection counted for good.
   */
  @Test
  void aDeviceThatHangsUpBeforeItIsAcceptedLeavesNoConnectionBehind() throws Exception {
    for (int i = 0; i < 5; i++) {
      String device = "gh3" + i;
      // 3.1.1; user name, password, clean session; keep alive
      byte[] connect = connectBody(new byte[] {4, (byte) 0xC2, 0, 60}, device + "-raw", device, register(device));
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), mqttPort(node))) {
        socket.getOutputStream().write(packet(0x10, connect));
      }
    }
    Device device = connected("gh39", register("gh39")); // its key looked up after theirs, by the same auth verticle
    assertEquals(1.0, metric("hubbub_mqtt_connections"), "the one device connected, none of those that hung up");
    device.client.disconnect().await(10, TimeUnit.SECONDS);
    long deadline = System.currentTimeMillis() + 10_000;
    while (metric("hubbub_mqtt_connections") > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(0.0, metric("hubbub_mqtt_connections"));
  }

  /**
   * Packets before a CONNECT, and bytes the decoder refuses, end the connection; vertx-mqtt throws for the first and
   * Vert.x logs a line for each of the second (no handler yet), which leaves no stack trace and no line each in the log.
   */
  @Test
  void packetsBeforeConnectCloseTheConnectionAndLeaveNoStackTrace() throws Exception {
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    ch.qos.logback.classic.Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("ROOT");
    root.addAppender(log);
    try {
      byte[] reserved = connectBody(new byte[] {4, 0x03, 0, 60}, "early"); // 3.1.1, clean session and the reserved flag set
      byte[][] early = {{(byte) 0xC0, 0}, packet(0x82, new byte[] {0, 1, 0, 1, 'a', 0}), packet(0x30, new byte[] {0, 1, 'a', '{', '}'}),
        {0, 0}, packet(0x10, reserved), packet(0x18, reserved)}; // decoder: unknown type, reserved flag, bit 3
      for (int i = 0; i < 5; i++) {
        for (byte[] packet : early) {
          try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), mqttPort(node))) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(packet);
            assertEquals(-1, socket.getInputStream().read(), "closed, nothing answered");
          }
        }
      }
      assertEquals(List.of(), log.list.stream().filter(e -> e.getThrowableProxy() != null)
        .map(ILoggingEvent::getFormattedMessage).toList(), "no stack traces");
      assertEquals(List.of(), log.list.stream().filter(e -> e.getLevel() == Level.ERROR)
        .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()).toList(), "no line a connection");
      assertTrue(log.list.stream().filter(e -> e.getLoggerName().endsWith("ClientNoise")).count() <= 1, "one short line a window at most");
    } finally {
      root.detachAppender(log);
    }
  }

  /**
   * A client that ignores the CONNACK's maximum packet size: written byte by byte (no MQTT 5 library sends past it),
   * its oversized PUBLISH is answered with DISCONNECT 0x95 and a line, then the connection closes.
   */
  @Test
  void anMqtt5PacketPastTheLargestGetsDisconnectPacketTooLarge() throws Exception {
    String key = register("gh12");
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), mqttPort(node))) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      // version 5; user name, password, clean start; keep alive; no properties
      out.write(packet(0x10, connectBody(new byte[] {5, (byte) 0xC2, 0, 60, 0}, "gh12-raw", "gh12", key)));
      assertEquals(0x20, in.readUnsignedByte(), "CONNACK");
      byte[] connack = new byte[remainingLength(in)];
      in.readFully(connack);
      assertEquals(0, connack[1], "accepted");
      // its properties name the largest packet (Maximum Packet Size, 0x27: four bytes): the payload limit + 1 KiB
      int maximum = -1;
      for (int i = 3; i + 4 < connack.length; i++) {
        if (connack[i] == 0x27) {
          maximum = ByteBuffer.wrap(connack, i + 1, 4).getInt();
        }
      }
      assertEquals(4_096 + 1_024, maximum, "CONNACK's Maximum Packet Size");
      ByteArrayOutputStream publish = new ByteArrayOutputStream();
      publish.writeBytes(utf8("sensor/gh12/readings"));
      publish.writeBytes(new byte[] {0, 1, 0}); // packet id 1, no properties
      publish.writeBytes(new byte[4_096 + 2_048]);
      out.write(packet(0x32, publish.toByteArray())); // PUBLISH, QoS 1
      out.flush();
      assertEquals(0xE0, in.readUnsignedByte(), "DISCONNECT");
      byte[] disconnect = new byte[remainingLength(in)];
      in.readFully(disconnect);
      assertEquals(0x95, disconnect[0] & 0xFF, "packet too large");
      assertEquals(-1, in.read(), "then closed");
    }
    assertThat(refusals(1)).anySatisfy(r -> {
      assertEquals("mqtt PUBLISH", r.getString("target"));
      assertEquals(413, r.getInteger("code"));
      assertEquals("gh12", r.getString("principal"));
    });
  }

  /** A CONNECT's body: the protocol name, {@code header} (level, flags, keep alive, MQTT 5's properties), {@code fields}. */
  private static byte[] connectBody(byte[] header, String... fields) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(utf8("MQTT"));
    body.writeBytes(header);
    for (String field : fields) {
      body.writeBytes(utf8(field));
    }
    return body.toByteArray();
  }

  private static byte[] utf8(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(bytes.length >> 8);
    out.write(bytes.length & 0xFF);
    out.writeBytes(bytes);
    return out.toByteArray();
  }

  private static byte[] packet(int type, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(type);
    int length = body.length;
    do {
      int digit = length % 128;
      length /= 128;
      out.write(length > 0 ? digit | 0x80 : digit);
    } while (length > 0);
    out.writeBytes(body);
    return out.toByteArray();
  }

  private static int remainingLength(DataInputStream in) throws IOException {
    int length = 0;
    int shift = 0;
    int digit;
    do {
      digit = in.readUnsignedByte();
      length |= (digit & 0x7F) << shift;
      shift += 7;
    } while ((digit & 0x80) != 0);
    return length;
  }

  /** The REFUSED records of audit.access, once there are at least {@code count}. */
  private List<JsonObject> refusals(int count) throws Exception {
    String admin = node.adminToken().await(30, TimeUnit.SECONDS);
    long deadline = System.currentTimeMillis() + 20_000;
    while (true) {
      List<JsonObject> found = node.call(HttpMethod.GET, "/api/streams/audit.access/events?limit=1000", admin, null).json()
        .getJsonArray("events").stream().map(JsonObject.class::cast).filter(e -> "REFUSED".equals(e.getString("type")))
        .map(e -> e.getJsonObject("data")).collect(Collectors.toList());
      if (found.size() >= count || System.currentTimeMillis() > deadline) {
        return found;
      }
      Thread.sleep(50);
    }
  }

  /** Why an attempt failed; null when it succeeded. */
  private static Throwable refusal(Future<?> attempt) throws Exception {
    return attempt.<Throwable>transform(done -> Future.succeededFuture(done.failed() ? done.cause() : null)).await(30, TimeUnit.SECONDS);
  }
}
