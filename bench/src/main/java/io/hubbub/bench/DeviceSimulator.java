package io.hubbub.bench;

import io.hubbub.client.BlockingHttp;
import io.hubbub.client.Response;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Pretends to be a greenhouse: registers N devices (as an admin) and has each send temperature,
 * humidity and light readings at a given rate, temperature now and then climbing past 30 °C so that the
 * default alert rule fires and resolves. Devices that already exist are registered again for a fresh key.
 *
 * Over HTTP each device posts its three readings in one request; over MQTT ({@code --protocol mqtt}) each
 * publishes them at QoS 1 to {@code sensor/<id>/readings} on its own connection (user name its id, password its
 * key), reconnecting with backoff when the connection drops.
 *
 * <pre>java -jar bench/target/hubbub-bench.jar devices --password ADMIN_PASSWORD
 *     [--url http://localhost:8080] [--user admin] [--devices 5] [--rate 1 (readings of each kind per device per second)]
 *     [--seconds 0 (forever)] [--protocol http|mqtt] [--mqtt-port 1883]</pre>
 */
public final class DeviceSimulator {

  private final BlockingHttp http;
  private final String url;

  DeviceSimulator(String url) {
    this.url = url;
    this.http = new BlockingHttp(url, Duration.ofSeconds(30));
  }

  /** An answer that retrying will not change: a wrong password, a refused key, a bad request. One line, no trace. */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message);
    }
  }

  void run(String user, String password, int devices, double rate, int seconds) throws InterruptedException {
    run(user, password, devices, rate, seconds, null);
  }

  /** As above; with {@code mqtt} the readings go over MQTT instead of HTTP (devices are still registered over HTTP). */
  void run(String user, String password, int devices, double rate, int seconds, MqttDevices mqtt) throws InterruptedException {
    String token = login(user, password);
    List<String> ids = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (int d = 1; d <= devices; d++) {
      String id = "sim-" + d;
      call("DELETE", "/api/devices/" + id, token, null); // a fresh key if it exists; 404 otherwise
      keys.add(call("POST", "/api/devices", token, new JsonObject().put("deviceId", id).put("name", "Greenhouse " + d))
        .getString("key"));
      ids.add(id);
    }
    if (mqtt != null) {
      mqtt.connect(ids, keys);
    }
    System.out.printf("simulating %d devices at %.1f readings of each kind per second each%s: open %s/sensors%n", devices, rate,
      mqtt != null ? " over MQTT" : "", url);
    Random random = new Random();
    double[] temperature = new double[devices];
    java.util.Arrays.fill(temperature, 22);
    long periodMs = Math.max(1, Math.round(1000 / rate));
    long end = seconds > 0 ? System.currentTimeMillis() + seconds * 1000L : Long.MAX_VALUE;
    long sent = 0;
    while (System.currentTimeMillis() < end) {
      long tick = System.currentTimeMillis();
      for (int d = 0; d < devices; d++) {
        // a random walk that sometimes heats up past the default alert threshold (30 °C) and cools down again
        double drift = (tick / 60_000 + d) % 5 == 0 ? 0.4 : -0.15;
        temperature[d] = Math.max(15, Math.min(38, temperature[d] + drift + random.nextGaussian() * 0.2));
        String at = Instant.ofEpochMilli(tick).toString();
        JsonArray readings = new JsonArray()
          .add(new JsonObject().put("kind", "temperature").put("value", round(temperature[d])).put("unit", "C").put("at", at))
          .add(new JsonObject().put("kind", "humidity").put("value", round(55 + random.nextGaussian() * 3)).put("unit", "%").put("at", at))
          .add(new JsonObject().put("kind", "light").put("value", round(300 + 200 * Math.sin(tick / 120_000.0 + d))).put("unit", "lx").put("at", at));
        if (mqtt != null) {
          mqtt.publish(d, readings);
        } else {
          call("POST", "/api/sensors/" + ids.get(d) + "/readings", keys.get(d), readings);
        }
        sent += readings.size();
      }
      if (sent % (devices * 3L * 60) == 0) {
        System.out.printf("%s: %,d readings sent%s%n", Instant.now(), sent,
          mqtt != null ? String.format(" (%,d publishes acknowledged)", mqtt.acknowledged()) : "");
      }
      Thread.sleep(Math.max(0, periodMs - (System.currentTimeMillis() - tick)));
    }
  }

  /** A session for the admin; a wrong password is one line, not a stack trace. */
  String login(String user, String password) throws InterruptedException {
    try {
      return call("POST", "/api/sessions", null, new JsonObject().put("username", user).put("password", password)).getString("token");
    } catch (Refused e) {
      throw e.getMessage().contains(": 401 ") ? new Refused("wrong password for user '" + user + "' at " + url
        + " (--password or HUBBUB_ADMIN_PASSWORD)") : e;
    }
  }

  private static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }

  /**
   * One request, tried again with backoff (0.5 s doubling to 10 s) while the server does not answer or answers
   * 503 or 429: a restarting server is waited for, each outage told in one line. Other failures are {@link Refused}.
   */
  JsonObject call(String method, String path, String token, Object body) throws InterruptedException {
    long backoffMs = 500;
    boolean told = false;
    while (true) {
      String trouble;
      try {
        Response response = http.send(HttpMethod.valueOf(method), path, token, body);
        int status = response.status();
        if (status < 300 || (method.equals("DELETE") && status == 404)) {
          if (told) {
            System.out.printf("%s: the server answers again%n", Instant.now());
          }
          return response.text().startsWith("{") ? response.json() : new JsonObject(); // readings answer an array of acks
        }
        if (status != 503 && status != 429 && status != 502 && status != 504) {
          throw new Refused(method + " " + path + ": " + status + " " + oneLine(response.text()));
        }
        trouble = "it answers " + status;
      } catch (IOException e) {
        trouble = "it does not answer (" + e.getClass().getSimpleName() + ")";
      }
      if (!told) {
        System.out.printf("%s: %s: %s; trying again with backoff%n", Instant.now(), url, trouble);
        told = true;
      }
      Thread.sleep(backoffMs);
      backoffMs = Math.min(10_000, backoffMs * 2);
    }
  }

  private static String oneLine(String text) {
    String line = text.replaceAll("\\s+", " ");
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }
}
