package io.hubbub.gateway;

import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.client.BridgeClient;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.hubbub.support.Waits;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.FindOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile and broken input over HTTP and raw bridge frames: each gets the protocol's answer, the
 * server keeps serving, and the store holds exactly what it held before.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class HostileInputTest {

  private record Case(String name, String expected, Supplier<Future<String>> run) {
  }

  private static final String EXPIRED_TOKEN = "expired_" + "x".repeat(35);
  private static final List<String> COLLECTIONS = List.of("buckets", "users", "names", "sessions", "rooms", "devices", "aggregates", "sensors");

  @RegisterExtension
  final NodeExtension running = NodeExtension.node();
  private TestNode node;
  private BridgeClient bridge;
  private String token;
  /** The key of device "probe-1", which may reach only its own stream. */
  private String deviceKey;
  private String adminToken;

  @BeforeEach
  void prepare(VertxTestContext ctx) {
    node.userAndAdmin("mallory").onSuccess(tokens -> {
        token = tokens.user();
        adminToken = tokens.admin();
      })
      .compose(tokens -> node.post("/api/devices", adminToken, new JsonObject().put("deviceId", "probe-1")))
      .onSuccess(device -> deviceKey = device.json().getString("key"))
      .compose(device -> node.post("/api/streams/app.h/events", token, new JsonObject().put("type", "OK").put("data", new JsonObject())))
      .compose(published -> node.bridge(adminToken)).onSuccess(b -> bridge = b)
      .compose(b -> b.request("chat.join", new JsonObject().put("room", "staff")))
      .compose(staff -> {
        JsonObject expired = new JsonObject().put("_id", sha256(EXPIRED_TOKEN)).put("username", "mallory")
          .put("expiresAt", System.currentTimeMillis() - 1_000);
        return StorageBus.DOC_INSERT.request(node.vertx.eventBus(), StorageBus.docInsert("sessions", expired), 5_000);
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void hostileInputGetsTheProtocolAnswerAndChangesNothing(Vertx vertx, VertxTestContext ctx) {
    List<Case> cases = new ArrayList<>();
    cases.addAll(httpCases());
    cases.addAll(bridgeCases());
    assertTrue(cases.size() >= 40, "at least 40 hostile inputs, have " + cases.size());

    // an expired token is refused (auth then forgets the session: checked before the snapshot)
    http(HttpMethod.GET, "/api/streams/app.x", EXPIRED_TOKEN, null)
      .compose(expired -> snapshot().map(before -> List.of(expired, before)))
      .compose(r -> runAll(cases).map(outcomes -> List.of(r.get(0), r.get(1), outcomes)))
      .compose(r -> burst(2_000).map(burst -> List.of(r.get(0), r.get(1), r.get(2), burst)))
      .compose(r -> snapshot().map(after -> List.of(r.get(0), r.get(1), r.get(2), r.get(3), after)))
      .compose(r -> stillServes().map(serving -> List.of(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), serving)))
      .compose(r -> refusalsStored()
        .map(refusals -> List.of(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), refusals)))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals("401", r.get(0), "expired token");
        @SuppressWarnings("unchecked") List<String> outcomes = (List<String>) r.get(2);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
          if (!cases.get(i).expected().equals(outcomes.get(i))) {
            wrong.add(cases.get(i).name() + ": expected " + cases.get(i).expected() + ", got " + outcomes.get(i));
          }
        }
        assertEquals(List.of(), wrong);
        assertEquals(List.of("401"), r.get(3), "every request of the burst is refused with 401");
        assertEquals(r.get(1), r.get(4), "the store holds exactly what it held before (but for the access trail)");
        long refusals = (Long) r.get(6);
        assertTrue(refusals >= 1 && refusals <= 40, "over 2,000 refusals leave a sampled trail, not one each: " + refusals);
        assertEquals(true, r.get(5), "the server still serves");
        ctx.completeNow();
      })));
  }

  private List<Case> httpCases() {
    String events = "/api/streams/app.h/events";
    JsonObject ok = new JsonObject().put("type", "OK").put("data", new JsonObject());
    JsonObject deep = new JsonObject();
    JsonObject cursor = deep;
    for (int i = 0; i < 40; i++) {
      JsonObject next = new JsonObject();
      cursor.put("d", next);
      cursor = next;
    }
    List<Case> c = new ArrayList<>();
    c.add(post("signup: malformed JSON", "/api/users", null, "{\"username\":", "400"));
    c.add(post("signup: an array", "/api/users", null, "[]", "400"));
    c.add(post("signup: username a number", "/api/users", null, "{\"username\":5,\"password\":\"password1\"}", "400"));
    c.add(post("signup: operator as username", "/api/users", null,
      "{\"username\":{\"$gt\":\"\"},\"password\":\"password1\"}", "400"));
    c.add(post("signup: no password", "/api/users", null, "{\"username\":\"zed\"}", "400"));
    c.add(post("signup: space in username", "/api/users", null, "{\"username\":\"a b\",\"password\":\"password1\"}", "400"));
    c.add(post("signup: 1000-char username", "/api/users", null,
      new JsonObject().put("username", "u".repeat(1000)).put("password", "password1").encode(), "400"));
    c.add(post("signup: short password", "/api/users", null, "{\"username\":\"zed\",\"password\":\"short\"}", "400"));
    c.add(post("signup: reserved name", "/api/users", null, "{\"username\":\"hubbub\",\"password\":\"password1\"}", "400"));
    c.add(post("signup: taken name", "/api/users", null, "{\"username\":\"mallory\",\"password\":\"password1\"}", "409"));
    c.add(post("login: operators", "/api/sessions", null, "{\"username\":{\"$ne\":null},\"password\":{\"$ne\":null}}", "400"));
    c.add(post("login: password an array", "/api/sessions", null, "{\"username\":\"admin\",\"password\":[\"x\"]}", "400"));
    c.add(post("login: empty body", "/api/sessions", null, "", "400"));
    c.add(post("login: a JSON string", "/api/sessions", null, "\"admin\"", "400"));
    c.add(post("publish: malformed JSON", events, token, "{\"type\":", "400"));
    c.add(post("publish: no type", events, token, "{\"data\":{}}", "400"));
    c.add(post("publish: lower-case type", events, token, "{\"type\":\"hello\",\"data\":{}}", "400"));
    c.add(post("publish: type a number", events, token, "{\"type\":7,\"data\":{}}", "400"));
    c.add(post("publish: data a string", events, token, "{\"type\":\"X\",\"data\":\"x\"}", "400"));
    c.add(post("publish: no data", events, token, "{\"type\":\"X\"}", "400"));
    c.add(post("publish: $where in data", events, token, "{\"type\":\"X\",\"data\":{\"$where\":\"sleep(1000)\"}}", "400"));
    c.add(post("publish: dotted key deep in data", events, token, "{\"type\":\"X\",\"data\":{\"a\":{\"b.c\":1}}}", "400"));
    c.add(post("publish: $ key in an array in data", events, token, "{\"type\":\"X\",\"data\":{\"a\":[{\"$x\":1}]}}", "400"));
    c.add(post("publish: NUL in a key", events, token, "{\"type\":\"X\",\"data\":{\"a\\u0000b\":1}}", "400"));
    c.add(post("publish: data nested 40 deep", events, token, ok.copy().put("data", deep).encode(), "400"));
    c.add(post("publish: lone surrogate in a value", events, token, "{\"type\":\"X\",\"data\":{\"t\":\"a\\ud800b\"}}", "400"));
    c.add(post("publish: lone low surrogate in a key", events, token, "{\"type\":\"X\",\"data\":{\"\\udc00\":1}}", "400"));
    c.add(post("publish: reversed pair deep in an array", events, token,
      "{\"type\":\"X\",\"data\":{\"a\":[\"\\udc00\\ud800\"]}}", "400"));
    c.add(post("device: name of spaces", "/api/devices", adminToken, "{\"deviceId\":\"blank-1\",\"name\":\"\\u00a0\\u200b\"}", "400"));
    c.add(post("publish: huge integer", events, token, "{\"type\":\"X\",\"data\":{\"n\":123456789012345678901234567890}}", "400"));
    c.add(post("publish: data over 64 KiB", events, token,
      ok.copy().put("data", new JsonObject().put("s", "x".repeat(70_000))).encode(), "413"));
    c.add(post("publish: body over 1 MiB", events, token,
      ok.copy().put("data", new JsonObject().put("s", "x".repeat(1_100_000))).encode(), "413"));
    c.add(post("publish: id with a slash", events, token, ok.copy().put("id", "../x").encode(), "400"));
    c.add(post("publish: 65-char id", events, token, ok.copy().put("id", "i".repeat(65)).encode(), "400"));
    c.add(post("publish: id an operator", events, token, ok.copy().put("id", new JsonObject().put("$gt", "")).encode(), "400"));
    c.add(post("publish: expectedSeq a string", events, token, ok.copy().put("expectedSeq", "1").encode(), "400"));
    c.add(post("publish: expectedSeq negative", events, token, ok.copy().put("expectedSeq", -1).encode(), "400"));
    c.add(post("publish: expectedSeq fractional", events, token, ok.copy().put("expectedSeq", 1.5).encode(), "400"));
    c.add(post("publish: claims an author", events, token, ok.copy().put("by", "admin").encode(), "400"));
    c.add(post("publish: 1001 events", events, token,
      new JsonArray(IntStream.range(0, 1001).mapToObj(i -> (Object) ok).toList()).encode(), "413"));
    c.add(post("publish: empty array", events, token, "[]", "400"));
    c.add(post("publish: array with a number", events, token, "[{\"type\":\"X\",\"data\":{}}, 3]", "400"));
    c.add(post("publish: stream with empty key", "/api/streams/app./events", token, ok.encode(), "400"));
    c.add(post("publish: upper-case namespace", "/api/streams/App.x/events", token, ok.encode(), "400"));
    c.add(post("publish: 129-char key", "/api/streams/app." + "k".repeat(129) + "/events", token, ok.encode(), "400"));
    c.add(post("publish: dotted key", "/api/streams/app.a.b/events", token, ok.encode(), "400"));
    c.add(post("publish: $ in stream", "/api/streams/app.%24x/events", token, ok.encode(), "400"));
    c.add(post("publish: undeclared namespace", "/api/streams/secret.x/events", token, ok.encode(), "404"));
    c.add(post("publish: server-only namespace", "/api/streams/audit.users/events", token, ok.encode(), "403"));
    c.add(post("publish: forged token", events, "forged", ok.encode(), "401"));
    c.add(new Case("read: from not a number", "400", () -> http(HttpMethod.GET, events + "?from=abc", token, null)));
    c.add(new Case("read: limit 5000", "400", () -> http(HttpMethod.GET, events + "?limit=5000", token, null)));
    c.add(new Case("read: limit 0", "400", () -> http(HttpMethod.GET, events + "?limit=0", token, null)));
    c.add(new Case("read: from negative", "400", () -> http(HttpMethod.GET, events + "?from=-1", token, null)));
    c.add(new Case("read: admin stream as user", "403", () -> http(HttpMethod.GET, "/api/streams/auth.logins/events", token, null)));
    c.add(new Case("auth: Basic scheme", "401", () -> node.request(HttpMethod.GET, "/api/streams/app.x", null, null)
      .map(r -> String.valueOf(r.status()))));
    c.add(new Case("auth: 600-char token", "401", () -> http(HttpMethod.GET, "/api/streams/app.x", "t".repeat(600), null)));
    c.add(new Case("logout: no token", "401", () -> http(HttpMethod.DELETE, "/api/sessions/current", null, null)));
    c.add(new Case("unknown path", "404", () -> http(HttpMethod.GET, "/api/../../etc/passwd", null, null)));
    c.addAll(principalCases());
    return c;
  }

  /** PROTOCOL v1.1 "Principals and scope": a device key reaches its own stream only; one name space, without case. */
  private List<Case> principalCases() {
    String reading = new JsonObject().put("type", "OK").put("data", new JsonObject()).encode();
    List<Case> c = new ArrayList<>();
    c.add(post("device: publish to app", "/api/streams/app.h/events", deviceKey, reading, "403"));
    c.add(post("device: publish to another device's stream", "/api/streams/sensor.probe-2/events", deviceKey, reading, "403"));
    c.add(post("device: readings of another device", "/api/sensors/probe-2/readings", deviceKey,
      "{\"kind\":\"t\",\"value\":1}", "403"));
    c.add(new Case("device: read app", "403", () -> http(HttpMethod.GET, "/api/streams/app.h/events", deviceKey, null)));
    c.add(new Case("device: read another device's stream", "403",
      () -> http(HttpMethod.GET, "/api/streams/sensor.probe-2/events", deviceKey, null)));
    c.add(new Case("device: a chat room's history", "403", () -> http(HttpMethod.GET, "/api/streams/chat.lobby/events", deviceKey, null)));
    c.add(new Case("device: stream info of app", "403", () -> http(HttpMethod.GET, "/api/streams/app.h", deviceKey, null)));
    c.add(new Case("device: list devices", "403", () -> http(HttpMethod.GET, "/api/devices", deviceKey, null)));
    c.add(new Case("device: another device's status", "403", () -> http(HttpMethod.GET, "/api/sensors/probe-2", deviceKey, null)));
    c.add(new Case("device: another device's aggregates", "403",
      () -> http(HttpMethod.GET, "/api/sensors/probe-2/aggregates?kind=t", deviceKey, null)));
    c.add(bridge("device: bridge publish to app", "streams.publish",
      new JsonObject().put("stream", "app.h").put("type", "OK").put("data", new JsonObject()), deviceKey, "403"));
    c.add(bridge("device: bridge read of app", "streams.read", new JsonObject().put("stream", "app.h"), deviceKey, "403"));
    c.add(bridge("device: chat.rooms", "chat.rooms", new JsonObject(), deviceKey, "403"));
    c.add(registration("presence: a room that does not exist", "chat.presence.nowhere", token, "404"));
    c.add(registration("presence: a room one is not a member of", "chat.presence.staff", token, "403"));
    c.add(registration("presence: anonymous", "chat.presence.staff", null, "401"));
    c.add(registration("device: live of app", "streams.live.app.h", deviceKey, "403"));
    c.add(registration("device: live of another device", "streams.live.sensor.probe-2", deviceKey, "403"));
    c.add(registration("device: presence of a room", "chat.presence.lobby", deviceKey, "403"));
    String own = "/api/streams/sensor.probe-1/events";
    JsonObject good = new JsonObject().put("kind", "temperature").put("value", 21.5).put("at", "2026-01-01T00:00:00Z");
    JsonObject raw = new JsonObject().put("type", "READING");
    c.add(post("device: raw READING in 2999", own, deviceKey, raw.copy().put("data", good.copy().put("at", "2999-01-01T00:00:00Z")).encode(), "400"));
    c.add(post("device: raw READING without at", own, deviceKey, raw.copy().put("data", good.copy().put("at", null)).encode(), "400"));
    c.add(post("device: raw READING before 1970", own, deviceKey, raw.copy().put("data", good.copy().put("at", "1969-12-31T23:59:59Z")).encode(), "400"));
    c.add(post("device: raw READING, value a string", own, deviceKey, raw.copy().put("data", good.copy().put("value", "hot")).encode(), "400"));
    c.add(post("device: raw READING, extra field", own, deviceKey, raw.copy().put("data", good.copy().put("extra", 1)).encode(), "400"));
    c.add(bridge("device: bridge raw READING in 2999", "streams.publish", raw.copy().put("stream", "sensor.probe-1")
      .put("data", good.copy().put("at", "2999-01-01T00:00:00Z")), deviceKey, "400"));
    c.add(post("admin: raw READING in 2999 to a device's stream", own, adminToken,
      raw.copy().put("data", good.copy().put("at", "2999-01-01T00:00:00Z")).encode(), "403"));
    c.add(post("signup: a taken name in other case", "/api/users", null, "{\"username\":\"Mallory\",\"password\":\"password1\"}", "409"));
    c.add(post("signup: a device's name", "/api/users", null, "{\"username\":\"PROBE-1\",\"password\":\"password1\"}", "409"));
    c.add(post("signup: reserved deleted-user", "/api/users", null, "{\"username\":\"Deleted-User\",\"password\":\"password1\"}", "400"));
    c.add(post("signup: reserved system", "/api/users", null, "{\"username\":\"SYSTEM\",\"password\":\"password1\"}", "400"));
    c.add(new Case("device: named like a user", "409", () -> http(HttpMethod.POST, "/api/devices", adminToken, "{\"deviceId\":\"MALLORY\"}")));
    c.add(new Case("device: registered twice", "409", () -> http(HttpMethod.POST, "/api/devices", adminToken, "{\"deviceId\":\"probe-1\"}")));
    c.add(new Case("device: the same in other case", "409", () -> http(HttpMethod.POST, "/api/devices", adminToken, "{\"deviceId\":\"Probe-1\"}")));
    c.add(new Case("device: named hubbub", "400", () -> http(HttpMethod.POST, "/api/devices", adminToken, "{\"deviceId\":\"Hubbub\"}")));
    return c;
  }

  private Case registration(String name, String address, String token, String expected) {
    return new Case(name, expected, () -> {
      Promise<String> code = Promise.promise();
      bridge.token(token).register(address, f -> code.tryComplete(String.valueOf(f.getInteger("failureCode"))));
      return code.future().timeout(5, TimeUnit.SECONDS);
    });
  }

  private List<Case> bridgeCases() {
    JsonObject ok = new JsonObject().put("stream", "app.h").put("type", "OK").put("data", new JsonObject());
    List<Case> c = new ArrayList<>();
    c.add(raw("frame: malformed JSON", "{\"type\":", "invalid_json"));
    c.add(raw("frame: no type", "{\"address\":\"streams.read\"}", "missing_type"));
    c.add(raw("frame: no address", "{\"type\":\"send\"}", "missing_address"));
    c.add(raw("frame: unknown type", "{\"type\":\"explode\",\"address\":\"streams.read\"}", "invalid_type"));
    c.add(raw("frame: internal address storage.append", frame("send", "storage.append", ok), "access_denied"));
    c.add(raw("frame: internal address auth.verify", frame("send", "auth.verify", new JsonObject().put("token", "x")), "access_denied"));
    c.add(raw("frame: send to a live address", frame("send", "streams.live.app.h", ok), "access_denied"));
    c.add(raw("frame: publish (not send) to streams.publish", frame("publish", "streams.publish", ok), "rejected"));
    c.add(raw("frame: register an internal address", frame("register", "storage.append", null), "access_denied"));
    c.add(raw("frame: 40-char reply address", new JsonObject(frame("send", "streams.read", ok)).put("replyAddress", "r".repeat(40)).encode(),
      "invalid_reply_address"));
    c.add(bridge("bridge publish: body a string", "streams.publish", "hello", token, "400"));
    c.add(bridge("bridge publish: $set in data", "streams.publish",
      ok.copy().put("data", new JsonObject().put("$set", new JsonObject())), token, "400"));
    c.add(bridge("bridge publish: bad stream", "streams.publish", ok.copy().put("stream", "no dots"), token, "400"));
    c.add(bridge("bridge publish: unknown field", "streams.publish", ok.copy().put("seq", 1), token, "400"));
    c.add(bridge("bridge publish: forged token", "streams.publish", ok, "forged", "401"));
    c.add(bridge("bridge publish: no token", "streams.publish", ok, null, "401"));
    c.add(bridge("bridge publish: data over 64 KiB", "streams.publish",
      ok.copy().put("data", new JsonObject().put("s", "x".repeat(70_000))), token, "413"));
    c.add(bridge("bridge read: limit 99999", "streams.read", new JsonObject().put("stream", "app.h").put("limit", 99_999), token, "400"));
    c.add(bridge("bridge read: operator as stream", "streams.read",
      new JsonObject().put("stream", new JsonObject().put("$gt", "")), token, "400"));
    JsonObject hi = new JsonObject().put("room", "nowhere").put("text", "hi");
    c.add(bridge("chat.send: operator as room", "chat.send", hi.copy().put("room", new JsonObject().put("$ne", "")), token, "400"));
    c.add(bridge("chat.send: operator as text", "chat.send", hi.copy().put("text", new JsonObject().put("$where", "1")), token, "400"));
    c.add(bridge("chat.send: operator as id", "chat.send", hi.copy().put("id", "$gt"), token, "400"));
    c.add(bridge("chat.send: forged token", "chat.send", hi, "forged", "401"));
    c.add(bridge("chat.send: no-break spaces only", "chat.send", hi.copy().put("text", "\u00a0\u00a0 \u3000"), token, "400"));
    c.add(bridge("chat.send: invisible characters only", "chat.send", hi.copy().put("text", "\u200b\u2060\ufeff\u3164"), token, "400"));
    c.add(bridge("chat.send: lone surrogate", "chat.send", hi.copy().put("text", "hi \ud83d"), token, "400"));
    c.add(bridge("bridge publish: lone surrogate", "streams.publish",
      ok.copy().put("data", new JsonObject().put("t", "\udfff")), token, "400"));
    c.add(bridge("chat.join: dotted room", "chat.join", new JsonObject().put("room", "a.b"), token, "400"));
    c.add(bridge("chat.join: $ room", "chat.join", new JsonObject().put("room", "$where"), token, "400"));
    c.add(bridge("chat.join: 129-char room", "chat.join", new JsonObject().put("room", "r".repeat(129)), token, "400"));
    c.add(bridge("chat.join: no token", "chat.join", new JsonObject().put("room", "lobby"), null, "401"));
    c.add(bridge("chat.leave: body an array", "chat.leave", new JsonArray().add("lobby"), token, "400"));
    c.add(raw("frame: internal chat address", frame("send", "chat.internal.publish", ok), "access_denied"));
    c.add(raw("frame: register presence of a bad room", frame("register", "chat.presence.a$b", null), "access_denied"));
    c.add(post("chat over HTTP: no such room", "/api/streams/chat.nowhere/events", token,
      "{\"type\":\"TEXT_MESSAGE\",\"data\":{\"text\":\"hi\"}}", "404"));
    c.add(post("chat over HTTP: two at once", "/api/streams/chat.nowhere/events", token,
      "[{\"type\":\"TEXT_MESSAGE\",\"data\":{\"text\":\"a\"}},{\"type\":\"TEXT_MESSAGE\",\"data\":{\"text\":\"b\"}}]", "400"));
    c.add(new Case("bridge register: admin stream as user", "403", () -> {
      Promise<String> code = Promise.promise();
      bridge.token(token).register("streams.live.auth.logins", f -> code.tryComplete(String.valueOf(f.getInteger("failureCode"))));
      return code.future().timeout(5, TimeUnit.SECONDS);
    }));
    c.add(new Case("frame: over 1 MiB closes the socket", "closed", () -> BridgeClient.connect(node.vertx, node.port).compose(big -> {
      Promise<String> closed = Promise.promise();
      big.socket().closeHandler(v -> closed.tryComplete("closed"));
      big.raw(frame("send", "streams.publish", ok.copy().put("data", new JsonObject().put("s", "x".repeat(1_200_000)))));
      return closed.future().timeout(10, TimeUnit.SECONDS);
    })));
    return c;
  }

  private Case post(String name, String path, String token, String body, String expected) {
    return new Case(name, expected, () -> http(HttpMethod.POST, path, token, body));
  }

  private Case raw(String name, String frame, String expected) {
    return new Case(name, expected, () -> {
      int before = bridge.errors.size();
      bridge.raw(frame);
      return Waits.until(node.vertx, () -> bridge.errors.size() > before)
        .map(v -> bridge.errors.get(before))
        .otherwise("no answer");
    });
  }

  private Case bridge(String name, String address, Object body, String token, String expected) {
    return new Case(name, expected, () -> bridge.token(token).request(address, body)
      .transform(r -> Future.succeededFuture(r.failed() ? String.valueOf(Failures.code(r.cause())) : "200")));
  }

  private static String frame(String type, String address, JsonObject body) {
    JsonObject frame = new JsonObject().put("type", type).put("address", address);
    if (body != null) {
      frame.put("body", body);
    }
    return frame.encode();
  }

  private Future<String> http(HttpMethod method, String path, String token, String body) {
    return node.request(method, path, token, body).map(r -> {
      if (r.status() >= 400 && r.errorCode() != r.status()) {
        return "error body says " + r.errorCode() + " for status " + r.status();
      }
      return String.valueOf(r.status());
    });
  }

  private Future<List<String>> runAll(List<Case> cases) {
    List<String> outcomes = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (Case c : cases) {
      chain = chain.compose(v -> c.run().get()
        .recover(failure -> Future.succeededFuture("failed: " + failure))
        .map(outcome -> {
          outcomes.add(outcome);
          return null;
        }));
    }
    return chain.map(outcomes);
  }

  /** Many requests at once: every distinct answer, expected to be just 401. */
  private Future<List<String>> burst(int requests) {
    JsonObject ok = new JsonObject().put("type", "OK").put("data", new JsonObject());
    List<Future<String>> all = IntStream.range(0, requests)
      .mapToObj(i -> http(HttpMethod.POST, "/api/streams/app.h/events", "forged-" + i, ok.encode()))
      .toList();
    return Future.all(all).map(v -> all.stream().map(Future::result).distinct().toList());
  }

  private Future<Boolean> stillServes() {
    JsonObject ok = new JsonObject().put("type", "OK").put("data", new JsonObject());
    return node.get("/health", null)
      .compose(health -> node.post("/api/streams/app.after/events", token, ok)
        .map(published -> health.status() == 200 && published.status() == 201));
  }

  /** REFUSED events of the access trail, as the store holds them (in buckets). */
  private Future<Long> refusalsStored() {
    return node.db().find("buckets", new JsonObject().put("stream", "audit.access")).map(buckets -> buckets.stream()
      .flatMap(bucket -> bucket.getJsonArray("events").stream())
      .filter(event -> "REFUSED".equals(((JsonObject) event).getString("type")))
      .count());
  }

  /** Every document of the collections that matter, in a stable order; the sampled access trail aside. */
  private Future<JsonObject> snapshot() {
    JsonObject snapshot = new JsonObject();
    Future<Void> chain = Future.succeededFuture();
    for (String collection : COLLECTIONS) {
      chain = chain.compose(v -> node.db()
        .findWithOptions(collection, collection.equals("buckets")
          ? new JsonObject().put("stream", new JsonObject().put("$ne", "audit.access")) : new JsonObject(),
          new FindOptions().setSort(new JsonObject().put("_id", 1)))
        .map(docs -> {
          snapshot.put(collection, new JsonArray(new ArrayList<>(docs)));
          return null;
        }));
    }
    return chain.map(snapshot);
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
