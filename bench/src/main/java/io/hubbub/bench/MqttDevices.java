package io.hubbub.bench;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import io.vertx.mqtt.MqttConnectionException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulator's devices over MQTT (Vert.x's MQTT client, 3.1.1): one connection per device, user name its id,
 * password its key; readings published at QoS 1 to {@code sensor/<id>/readings}. A connection that drops is opened
 * again with backoff (0.5 s doubling to 10 s), each outage told in one line; a refused CONNECT stops the simulator.
 */
final class MqttDevices implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();
  private final String host;
  private final int port;
  private final boolean tls;
  private final List<MqttClient> clients = new ArrayList<>();
  private final List<String> ids = new ArrayList<>();
  private final AtomicLong acked = new AtomicLong();

  MqttDevices(String host, int port, boolean tls) {
    this.host = host;
    this.port = port;
    this.tls = tls;
  }

  void connect(List<String> deviceIds, List<String> keys) throws InterruptedException {
    for (int d = 0; d < deviceIds.size(); d++) {
      MqttClient client = MqttClient.create(vertx, new MqttClientOptions().setClientId(deviceIds.get(d))
        .setUsername(deviceIds.get(d)).setPassword(keys.get(d)).setSsl(tls).setAutoKeepAlive(true));
      client.publishCompletionHandler(id -> acked.incrementAndGet());
      clients.add(client);
      ids.add(deviceIds.get(d));
      open(d);
    }
    System.out.printf("%d devices connected over MQTT to %s:%d%s%n", clients.size(), host, port, tls ? " (TLS)" : "");
  }

  /** Publishes a device's readings at QoS 1 (on its connection's event loop); dropped while it reconnects. */
  void publish(int device, JsonArray readings) {
    MqttClient client = clients.get(device);
    if (client.isConnected()) {
      client.publish("sensor/" + ids.get(device) + "/readings", readings.toBuffer(), MqttQoS.AT_LEAST_ONCE, false, false);
    }
  }

  long acknowledged() {
    return acked.get();
  }

  private void open(int device) throws InterruptedException {
    long backoffMs = 500;
    boolean told = false;
    while (true) {
      Throwable failure;
      try {
        failure = clients.get(device).connect(port, host)
          .<Throwable>transform(done -> Future.succeededFuture(done.failed() ? done.cause() : null)).await(30, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        failure = e;
      }
      if (failure == null) {
        if (told) {
          System.out.printf("%s: %s connected again%n", Instant.now(), ids.get(device));
        }
        clients.get(device).closeHandler(v -> vertx.setTimer(500, t -> reopen(device)));
        return;
      }
      if (failure instanceof MqttConnectionException refused) {
        throw new DeviceSimulator.Refused("MQTT CONNECT of " + ids.get(device) + " refused: " + refused.code());
      }
      if (!told) {
        System.out.printf("%s: MQTT %s:%d does not answer (%s); trying again with backoff%n", Instant.now(), host, port, failure.getMessage());
        told = true;
      }
      Thread.sleep(backoffMs);
      backoffMs = Math.min(10_000, backoffMs * 2);
    }
  }

  private void reopen(int device) {
    vertx.executeBlocking(() -> {
      open(device);
      return null;
    }, false).onFailure(failure -> System.out.printf("%s: %s: %s%n", Instant.now(), ids.get(device), failure.getMessage()));
  }

  @Override
  public void close() {
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      System.out.println("MQTT connections not closed within 10 s");
    }
  }
}
