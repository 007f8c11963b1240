package io.hubbub.sensors;

import io.hubbub.bus.IsoTimes;
import io.hubbub.client.Response;
import io.hubbub.conf.HubbubConf;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Devices, ingest, aggregates and alerts through the real HTTP API. The sensors verticle is deployed
 * by the test itself, so it can be stopped and started again in the middle.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class SensorsTest {

  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  private Vertx vertx;
  private TestNode node;
  private JsonObject conf;
  private String sensors;
  private String admin;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx;
    conf = TestConf.node();
    conf.getJsonObject("sensors").put("alerts", new JsonArray()
      .add(new JsonObject().put("kind", "temperature").put("above", 30).put("forSeconds", 60).put("hysteresis", 1))
      .add(new JsonObject().put("kind", "humidity").put("below", 20).put("forSeconds", 0)));
    JsonArray verticles = new JsonArray();
    conf.getJsonArray("verticles").stream().map(JsonObject.class::cast)
      .filter(v -> !v.getString("name").equals("sensors")).forEach(verticles::add);
    conf.put("verticles", verticles);
    node = await(TestNode.start(vertx, conf));
    deploySensors();
    admin = login(TestConf.ADMIN, TestConf.ADMIN_PASSWORD);
  }

  @AfterEach
  void stop() throws Exception {
    if (sensors != null) {
      await(vertx.undeploy(sensors));
    }
    await(node.stop());
  }

  private void deploySensors() throws Exception {
    JsonObject config = conf.copy();
    config.remove("verticles");
    sensors = await(vertx.deployVerticle(new SensorsVerticle(HubbubConf.of(config)), new DeploymentOptions()));
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.await(60, TimeUnit.SECONDS); // Vert.x's own blocking wait: toCompletionStage().get() was seen to hang here
  }

  private String login(String username, String password) throws Exception {
    return node.call(HttpMethod.POST, "/api/sessions", null, new JsonObject().put("username", username).put("password", password))
      .json().getString("token");
  }

  private String device(String id) throws Exception {
    Response created = node.call(HttpMethod.POST, "/api/devices", admin, new JsonObject().put("deviceId", id).put("name", "Greenhouse " + id));
    assertEquals(201, created.status(), created.body().toString());
    return created.json().getString("key");
  }

  private Response readings(String device, String key, Object body) throws Exception {
    return node.call(HttpMethod.POST, "/api/sensors/" + device + "/readings", key, body);
  }

  private static JsonObject reading(String kind, double value, Instant at) {
    return new JsonObject().put("kind", kind).put("value", value).put("unit", "C").put("at", at.toString());
  }

  /** Waits until the device's feed has applied everything in its stream. */
  private void caughtUp(String device) throws Exception {
    long last = node.call(HttpMethod.GET, "/api/streams/sensor." + device, admin, null).json().getLong("lastSeq");
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      Response status = node.call(HttpMethod.GET, "/api/sensors/" + device, admin, null);
      if (status.status() == 200 && status.json().getLong("appliedSeq") >= last) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the sensors feed of " + device + " did not catch up with seq " + last);
  }

  @Test
  void devicesAreRegisteredListedAndRevokedWithAnAuditTrail() throws Exception {
    node.call(HttpMethod.POST, "/api/users", null, new JsonObject().put("username", "uma").put("password", "password-uma"));
    String user = login("uma", "password-uma");
    assertEquals(403, node.call(HttpMethod.POST, "/api/devices", user, new JsonObject().put("deviceId", "d0")).status());
    assertEquals(401, node.call(HttpMethod.POST, "/api/devices", null, new JsonObject().put("deviceId", "d0")).status());
    assertEquals(400, node.call(HttpMethod.POST, "/api/devices", admin, new JsonObject().put("deviceId", "bad id")).status());
    String key = device("d1");
    String other = device("d2");
    assertEquals(409, node.call(HttpMethod.POST, "/api/devices", admin, new JsonObject().put("deviceId", "d1")).status());
    assertTrue(key.startsWith("d1.") && key.length() > 40, key);

    JsonArray listed = node.call(HttpMethod.GET, "/api/devices", user, null).json().getJsonArray("devices");
    assertEquals(List.of("d1", "d2"), listed.stream().map(d -> ((JsonObject) d).getString("deviceId")).toList());
    assertFalse(listed.encode().contains("key"), "no key or hash is ever listed");

    JsonObject one = reading("temperature", 21.5, Instant.now());
    assertEquals(201, readings("d1", key, one).status());
    assertEquals(403, readings("d1", other, one).status(), "a device writes only its own stream");
    assertEquals(403, readings("d1", user, one).status(), "users do not post readings");
    assertEquals(401, readings("d1", "d1.wrong-secret", one).status());
    assertEquals(401, readings("d1", null, one).status());
    assertEquals(403, node.call(HttpMethod.POST, "/api/streams/sensor.d2/events", key,
      new JsonObject().put("type", "READING").put("data", one)).status(), "nor another device's stream by publishing");

    assertEquals(204, node.call(HttpMethod.DELETE, "/api/devices/d1", admin, null).status());
    assertEquals(401, readings("d1", key, one).status(), "a revoked key stops working at once");
    assertEquals(404, node.call(HttpMethod.DELETE, "/api/devices/d1", admin, null).status());

    JsonArray audit = node.call(HttpMethod.GET, "/api/streams/audit.devices/events", admin, null).json().getJsonArray("events");
    assertEquals(List.of("CREATED", "CREATED", "DELETED"), audit.stream().map(e -> ((JsonObject) e).getString("type")).toList());
    assertEquals("admin", audit.getJsonObject(2).getString("by"));
    assertEquals("d1", audit.getJsonObject(2).getJsonObject("data").getString("deviceId"));
    assertFalse(audit.encode().contains(key.substring(3)), "the key never reaches the audit trail");
  }

  @Test
  void aRegistrationRetriedWithItsIdempotencyKeyGetsANewKeyAndTheLostOneStopsWorking() throws Exception {
    JsonObject body = new JsonObject().put("deviceId", "r1").put("name", "Roof 1");
    Map<String, String> once = Map.of("Idempotency-Key", "register-r1:1");
    Response first = node.call(HttpMethod.POST, "/api/devices", admin, body, once);
    assertEquals(201, first.status(), first.body().toString());
    String lost = first.json().getString("key");
    JsonObject one = reading("temperature", 21.5, Instant.now());
    assertEquals(201, readings("r1", lost, one).status());

    // the client lost that answer and sends the same request again: the device is re-keyed, not refused
    Response again = node.call(HttpMethod.POST, "/api/devices", admin, body, once);
    assertEquals(201, again.status(), again.body().toString());
    String key = again.json().getString("key");
    assertEquals(List.of("r1", "Roof 1"), List.of(again.json().getString("deviceId"), again.json().getString("name")));
    assertTrue(key.startsWith("r1.") && !key.equals(lost), key);
    assertEquals(401, readings("r1", lost, one).status(), "the key only the lost answer showed stops working");
    assertEquals(201, readings("r1", key, one).status());

    // anything that is not that same registration is the 409 of a taken name, and changes nothing
    assertEquals(409, node.call(HttpMethod.POST, "/api/devices", admin, body).status(), "without the key");
    assertEquals(409, node.call(HttpMethod.POST, "/api/devices", admin, body, Map.of("Idempotency-Key", "register-r1:2")).status());
    assertEquals(409, node.call(HttpMethod.POST, "/api/devices", admin, body.copy().put("name", "Roof 2"), once).status(),
      "the same key for another registration");
    assertEquals(409, node.call(HttpMethod.POST, "/api/devices", admin, body.copy().put("deviceId", "R1"), once).status(),
      "another spelling of the name");
    assertEquals(201, readings("r1", key, one).status(), "the key shown last still works");
    Response bad = node.call(HttpMethod.POST, "/api/devices", admin, body.copy().put("deviceId", "r2"), Map.of("Idempotency-Key", "a b"));
    assertEquals(400, bad.status());
    assertTrue(bad.json().getJsonObject("error").getString("message").contains("Idempotency-Key"), bad.body().toString());
    assertEquals(404, node.call(HttpMethod.GET, "/api/sensors/r2", admin, null).status(), "a refused registration writes nothing");

    JsonArray listed = node.call(HttpMethod.GET, "/api/devices", admin, null).json().getJsonArray("devices");
    assertEquals(List.of("r1"), listed.stream().map(d -> ((JsonObject) d).getString("deviceId")).toList());
    JsonArray audit = node.call(HttpMethod.GET, "/api/streams/audit.devices/events", admin, null).json().getJsonArray("events");
    assertEquals(List.of("CREATED", "UPDATED"), audit.stream().map(e -> ((JsonObject) e).getString("type")).toList());
    assertEquals(new JsonObject().put("deviceId", "r1").put("name", "Roof 1").put("rekeyed", true), audit.getJsonObject(1).getJsonObject("data"));
    assertFalse(audit.encode().contains(key.substring(3)) || audit.encode().contains(lost.substring(3)), "no key reaches the trail");
  }

  @Test
  void badReadingsAreRefusedWholeNamingTheFirstBadOne() throws Exception {
    String key = device("v1");
    Instant now = Instant.now();
    JsonObject ok = reading("temperature", 20, now);
    List<Object> bad = List.of(
      new JsonObject(),
      ok.copy().put("kind", "Temperature"),
      ok.copy().put("kind", "1temp"),
      ok.copy().put("kind", "t".repeat(33)),
      ok.copy().put("kind", 5),
      ok.copy().put("kind", new JsonObject().put("$ne", "")),
      ok.copy().put("value", "20"),
      ok.copy().put("value", true),
      ok.copy().putNull("value"),
      ok.copy().put("value", new JsonObject().put("$gt", 0)),
      ok.copy().put("unit", "u".repeat(17)),
      ok.copy().put("unit", 7),
      ok.copy().put("at", "yesterday"),
      ok.copy().put("at", "2026-11-22T10:00:00"),
      ok.copy().put("at", now.plusSeconds(301).toString()),
      ok.copy().put("at", 1_700_000_000),
      ok.copy().put("colour", "red"),
      ok.copy().put("$where", "1"),
      ok.copy().put("id", "has space"),
      "a string",
      42,
      new JsonArray(),
      new JsonArray().add(ok).add(ok.copy().put("value", "NaN")).add(ok),
      new JsonArray().add(ok).add(ok).add(ok.copy().put("kind", "")));
    List<String> wrong = new ArrayList<>();
    for (Object body : bad) {
      Response r = readings("v1", key, body instanceof String s ? "\"" + s + "\"" : body instanceof Number n ? n.toString() : body);
      if (r.status() != 400) {
        wrong.add(body + " → " + r.status() + " " + r.body());
      }
    }
    assertEquals(List.of(), wrong);
    Response batch = readings("v1", key, new JsonArray().add(ok).add(ok).add(ok.copy().put("value", "x")));
    assertTrue(batch.errorMessage().startsWith("reading [2]"), batch.errorMessage());
    JsonArray tooMany = new JsonArray();
    for (int i = 0; i < 1_001; i++) {
      tooMany.add(ok);
    }
    assertEquals(413, readings("v1", key, tooMany).status());
    assertEquals(0L, node.call(HttpMethod.GET, "/api/streams/sensor.v1", admin, null).json().getLong("lastSeq"), "nothing of a bad batch is stored");

    Response stored = readings("v1", key, new JsonArray().add(ok).add(new JsonObject().put("kind", "light").put("value", 300))
      .add(new JsonObject().put("kind", "light").put("value", 310).put("at", "2026-11-22T19:00:00.5+01:00")));
    assertEquals(201, stored.status());
    JsonArray events = node.call(HttpMethod.GET, "/api/streams/sensor.v1/events", admin, null).json().getJsonArray("events");
    assertEquals("READING", events.getJsonObject(1).getString("type"));
    assertEquals("v1", events.getJsonObject(1).getString("by"));
    assertEquals(300.0, events.getJsonObject(1).getJsonObject("data").getDouble("value"));
    String defaulted = events.getJsonObject(1).getJsonObject("data").getString("at");
    assertEquals(IsoTimes.format(Instant.parse(defaulted)), defaulted, "'at' defaults to now, in UTC with milliseconds");
    assertEquals("2026-11-22T18:00:00.500Z", events.getJsonObject(2).getJsonObject("data").getString("at"), "'at' written in UTC");
  }

  @Test
  void aggregatesMatchABruteForceComputationThroughOutOfOrderReadingsAndARestart() throws Exception {
    String key = device("g1");
    Random random = new Random(7);
    List<JsonObject> all = new ArrayList<>();
    for (int i = 0; i < 900; i++) {
      String kind = i % 3 == 0 ? "humidity" : "temperature";
      // three hours of readings, sent in shuffled order within each batch and across batches
      Instant at = T0.plusMillis((long) (random.nextDouble() * 3 * 3_600_000));
      all.add(reading(kind, Math.round(random.nextGaussian() * 500) / 100.0 + 22, at));
    }
    Collections.shuffle(all, random);
    for (int b = 0; b < 9; b++) {
      if (b == 5) {
        caughtUp("g1");
        await(vertx.undeploy(sensors)); // a restart in the middle: batches 5 and 6 are stored while it is down
        sensors = null;
      }
      if (b == 7) {
        deploySensors();
      }
      JsonArray batch = new JsonArray(new ArrayList<>(all.subList(b * 100, (b + 1) * 100)));
      if (sensors == null && b == 5) {
        // with the sensors verticle down, readings are still taken: the gateway appends them to the stream itself
        assertEquals(201, readings("g1", key, batch).status());
      } else if (sensors == null) {
        // or the device publishes its READING events to its stream itself
        JsonArray events = new JsonArray();
        batch.forEach(r -> events.add(new JsonObject().put("type", "READING").put("data", r)));
        assertEquals(201, node.call(HttpMethod.POST, "/api/streams/sensor.g1/events", key, events).status());
      } else {
        assertEquals(201, readings("g1", key, batch).status());
      }
    }
    caughtUp("g1");
    for (String kind : List.of("temperature", "humidity")) {
      for (String window : List.of("1m", "1h")) {
        String query = "/api/sensors/g1/aggregates?kind=" + kind + "&window=" + window
          + "&from=" + T0 + "&to=" + T0.plusSeconds(4 * 3600);
        JsonArray buckets = node.call(HttpMethod.GET, query, admin, null).json().getJsonArray("buckets");
        sameBuckets(bruteForce(all, kind, window.equals("1m") ? 60_000 : 3_600_000), buckets, kind + " " + window);
      }
    }
  }

  /** The same buckets: count, min and max exactly, the average up to floating-point summation order. */
  private static void sameBuckets(JsonArray expected, JsonArray actual, String what) {
    assertEquals(expected.size(), actual.size(), what + ": buckets");
    for (int i = 0; i < expected.size(); i++) {
      JsonObject e = expected.getJsonObject(i);
      JsonObject a = actual.getJsonObject(i);
      String where = what + " bucket " + e.getString("start");
      assertEquals(e.getString("start"), a.getString("start"), where);
      assertEquals(e.getLong("count"), a.getLong("count"), where);
      assertEquals(e.getDouble("min"), a.getDouble("min"), where);
      assertEquals(e.getDouble("max"), a.getDouble("max"), where);
      assertEquals(e.getDouble("avg"), a.getDouble("avg"), 1e-9, where);
    }
  }

  private static JsonArray bruteForce(List<JsonObject> readings, String kind, long width) {
    Map<Long, List<Double>> buckets = new TreeMap<>();
    for (JsonObject r : readings) {
      if (r.getString("kind").equals(kind)) {
        long at = Instant.parse(r.getString("at")).toEpochMilli();
        buckets.computeIfAbsent(Math.floorDiv(at, width) * width, k -> new ArrayList<>()).add(r.getDouble("value"));
      }
    }
    JsonArray out = new JsonArray();
    buckets.forEach((start, values) -> out.add(new JsonObject()
      .put("start", Instant.ofEpochMilli(start).toString())
      .put("count", (long) values.size())
      .put("min", Collections.min(values))
      .put("max", Collections.max(values))
      .put("avg", values.stream().mapToDouble(Double::doubleValue).sum() / values.size())));
    return out;
  }

  @Test
  void alertsRaiseAfterTheirTimeResolvePastTheHysteresisAndNeverStorm() throws Exception {
    String key = device("a1");
    double[][] readings = {
      // seconds after T0, temperature: the rule is above 30 for 60 s, hysteresis 1
      {0, 31}, {30, 32}, {61, 31},   // broken since 0, for 61 s: ALERT
      {70, 35}, {80, 29.5},          // still open; 29.5 is under 30 but not under 29: not resolved
      {90, 31}, {95, 33},            // broken again: the alert is still open, no second one
      {100, 28.9},                   // past the hysteresis: RESOLVED
      {110, 40}, {150, 40}, {169, 40}, // broken again for 59 s: nothing yet
      {171, 41},                     // 61 s: ALERT
    };
    for (double[] r : readings) {
      assertEquals(201, readings("a1", key, reading("temperature", r[1], T0.plusSeconds((long) r[0]))).status());
    }
    assertEquals(201, readings("a1", key, reading("humidity", 10, T0.plusSeconds(5))).status()); // below 20 at once
    caughtUp("a1");
    JsonArray alerts = node.call(HttpMethod.GET, "/api/streams/alerts.a1/events", admin, null).json().getJsonArray("events");
    List<String> seen = alerts.stream().map(JsonObject.class::cast)
      .map(e -> e.getString("type") + " " + e.getJsonObject("data").getString("kind") + " " + e.getJsonObject("data").getString("at"))
      .toList();
    assertEquals(List.of(
      "ALERT temperature " + IsoTimes.format(T0.plusSeconds(61)),
      "RESOLVED temperature " + IsoTimes.format(T0.plusSeconds(100)),
      "ALERT temperature " + IsoTimes.format(T0.plusSeconds(171)),
      "ALERT humidity " + IsoTimes.format(T0.plusSeconds(5))), seen);
    JsonObject status = node.call(HttpMethod.GET, "/api/sensors/a1", admin, null).json();
    assertEquals(2, status.getJsonArray("openAlerts").size());
    assertEquals(41.0, status.getJsonObject("last").getJsonObject("temperature").getDouble("value"));
    assertEquals(400, node.call(HttpMethod.GET, "/api/sensors/a1/aggregates?kind=temperature&window=5m", admin, null).status());
    assertEquals(401, node.call(HttpMethod.GET, "/api/sensors/a1/aggregates?kind=temperature", null, null).status());
  }

  @Test
  void aSecondSensorsInstanceSharesTheDevicesAndTheOtherTakesThemAllWhenItStops() throws Exception {
    String key = device("s1");
    JsonObject config = conf.copy();
    config.remove("verticles");
    // two instances split the partitions of devices between them (Partitions' fair share)
    String second = await(vertx.deployVerticle(new SensorsVerticle(HubbubConf.of(config)), new DeploymentOptions()));
    assertEquals(201, readings("s1", key, reading("temperature", 20, Instant.now())).status());
    caughtUp("s1");
    JsonObject before = node.call(HttpMethod.GET, "/api/sensors/s1", admin, null).json();
    assertEquals(1L, before.getLong("appliedSeq"), "one feed applied the reading, once: " + before.encode());

    await(vertx.undeploy(sensors)); // one goes, handing its partitions back with their checkpoints: the other takes them
    sensors = second;
    JsonObject next = reading("temperature", 24, Instant.now()).put("id", "after-takeover");
    long deadline = System.currentTimeMillis() + 15_000;
    Response posted = readings("s1", key, next);
    while (posted.status() == 503 && System.currentTimeMillis() < deadline) { // until the other serves them: a device retries
      Thread.sleep(50);
      posted = readings("s1", key, next);
    }
    assertEquals(201, posted.status(), posted.body().toString());
    caughtUp("s1");
    JsonObject after = node.call(HttpMethod.GET, "/api/sensors/s1", admin, null).json();
    assertEquals(2L, after.getLong("appliedSeq"), after.encode());
    assertEquals(24.0, after.getJsonObject("last").getJsonObject("temperature").getDouble("value"));
    JsonArray buckets = node.call(HttpMethod.GET, "/api/sensors/s1/aggregates?kind=temperature&window=1h", admin, null)
      .json().getJsonArray("buckets");
    assertEquals(2, buckets.stream().mapToInt(b -> ((JsonObject) b).getInteger("count")).sum(), "each reading counted once: " + buckets.encode());
  }
}
