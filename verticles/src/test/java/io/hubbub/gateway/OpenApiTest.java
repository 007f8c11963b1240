package io.hubbub.gateway;

import io.hubbub.client.Response;
import io.hubbub.conf.Conf;
import io.hubbub.conf.HubbubConf;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestConf;
import io.hubbub.support.TestNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/openapi.json} describes the whole HTTP API: every route the gateway serves is in it, and every
 * operation in it answers as described. Real calls through the real server, each answer checked against the
 * description by vert.x's own OpenAPI validator (status documented, body valid against its schema).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpenApiTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.node().withMetrics(); // /metrics answers as deployed
  private TestNode node;
  private OpenAPIContract contract;
  private ResponseValidator validator;
  /** Each operation and the statuses the calls below got from it. */
  private final Map<String, Set<Integer>> checked = new HashMap<>();

  @BeforeEach
  void contract() throws Exception {
    Response served = node.call(HttpMethod.GET, OpenApiDoc.PATH, null, null);
    assertThat(served.status()).isEqualTo(200);
    JsonObject description = served.json();
    JsonObject streamed = description.getJsonObject("paths").getJsonObject("/api/streams/{stream}/live").getJsonObject("get")
      .getJsonObject("responses").getJsonObject("200");
    assertThat(streamed.getJsonObject("content").fieldNames()).containsExactly("text/event-stream");
    // vert.x's validator (5.0) knows no text/event-stream: for it, the stream's answer is text
    streamed.put("content", new JsonObject().put("text/plain", streamed.getJsonObject("content").getJsonObject("text/event-stream")));
    contract = OpenAPIContract.from(node.vertx, description).await(30, TimeUnit.SECONDS);
    validator = ResponseValidator.create(node.vertx, contract);
  }

  /** Calls the server and checks the answer against the operation's description. */
  private Response check(String operationId, HttpMethod method, String path, String token, Object body) throws Exception {
    Response response = node.call(method, path, token, body);
    String type = response.headers().get("Content-Type");
    Map<String, String> headers = new HashMap<>();
    response.headers().forEach(h -> headers.put(h.getKey(), h.getValue()));
    ValidatableResponse answer = response.body() == null || response.body().length() == 0 || type == null
      ? ValidatableResponse.create(response.status(), headers)
      : ValidatableResponse.create(response.status(), headers, response.body(), type.replaceAll(";.*", "").trim());
    try {
      validator.validate(answer, operationId).await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(operationId + " " + method + " " + path + " answered " + response.status() + " "
        + response.body() + ", not as described: " + e.getMessage(), e);
    }
    checked.computeIfAbsent(operationId, k -> new TreeSet<>()).add(response.status());
    return response;
  }

  @Test
  void everyRouteTheGatewayServesIsDescribed() {
    HubbubConf conf = HubbubConf.of(Conf.resolve(TestConf.defaults()));
    Principals principals = new Principals(node.vertx, 1_000);
    StreamAccess streams = new StreamAccess(node.vertx, new Namespaces(conf.namespaces()), 1024, 10, 1, 1, 1_000);
    LiveHttp live = new LiveHttp(node.vertx, principals, streams, 60, 32, new SimpleMeterRegistry());
    Router router = Router.router(node.vertx);
    new HttpApi(node.vertx, principals, streams, live, 1_000).mount(router, 1024);
    Set<String> served = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      if (route.getPath() == null || route.getPath().endsWith("*") || route.methods() == null) {
        continue; // the handlers every /api call passes, and the 404
      }
      String path = route.getPath().replaceAll(":([A-Za-z]+)", "{$1}");
      route.methods().forEach(m -> served.add(m.name() + " " + path));
    }
    served.addAll(Set.of("GET /health", "GET /ready", "GET /metrics")); // the gateway's own, beside the API
    Set<String> described = contract.operations().stream()
      .map(o -> o.getHttpMethod().name() + " " + o.getOpenAPIPath()).collect(Collectors.toCollection(TreeSet::new));
    assertThat(described).as("the description names every route served, and nothing else").isEqualTo(served);
  }

  @Test
  void everyDescribedOperationAnswersAsDescribed() throws Exception {
    JsonObject alice = new JsonObject().put("username", "alice").put("password", "password-alice");
    check("signUp", HttpMethod.POST, "/api/users", null, alice);
    check("signUp", HttpMethod.POST, "/api/users", null, alice.copy().put("password", "another-password")); // taken: 409
    check("signUp", HttpMethod.POST, "/api/users", null, new JsonObject().put("username", "x"));
    String token = check("logIn", HttpMethod.POST, "/api/sessions", null, alice).json().getString("token");
    check("logIn", HttpMethod.POST, "/api/sessions", null, alice.copy().put("password", "wrong-password"));
    String admin = node.adminToken().await(30, TimeUnit.SECONDS);

    check("publish", HttpMethod.POST, "/api/streams/app.docs/events", token,
      new JsonObject().put("type", "NOTE").put("data", new JsonObject().put("text", "hi")).put("id", "n-1"));
    check("publish", HttpMethod.POST, "/api/streams/app.docs/events", token, new JsonArray()
      .add(new JsonObject().put("type", "NOTE").put("data", new JsonObject()))
      .add(new JsonObject().put("type", "NOTE").put("data", new JsonObject())));
    check("publish", HttpMethod.POST, "/api/streams/app.docs/events", token,
      new JsonObject().put("type", "NOTE").put("data", new JsonObject()).put("expectedSeq", 0));
    check("publish", HttpMethod.POST, "/api/streams/app.docs/events", token, new JsonObject().put("type", "NOTE"));
    check("publish", HttpMethod.POST, "/api/streams/auth.logins/events", token,
      new JsonObject().put("type", "NOTE").put("data", new JsonObject()));
    check("read", HttpMethod.GET, "/api/streams/app.docs/events?from=1&limit=2", token, null);
    check("read", HttpMethod.GET, "/api/streams/app.docs/events?limit=0", token, null);
    check("read", HttpMethod.GET, "/api/streams/app.docs/events", null, null);
    check("streamInfo", HttpMethod.GET, "/api/streams/app.docs", token, null);
    check("streamInfo", HttpMethod.GET, "/api/streams/auth.logins", token, null);
    check("follow", HttpMethod.GET, "/api/streams/app.docs/live?after=99", token, null);
    check("truncate", HttpMethod.POST, "/api/streams/app.docs/truncate", admin, new JsonObject().put("before", 2));
    check("truncate", HttpMethod.POST, "/api/streams/app.docs/truncate", token, new JsonObject().put("before", 2));

    String key = check("registerDevice", HttpMethod.POST, "/api/devices", admin, new JsonObject().put("deviceId", "probe-1")
      .put("name", "Probe")).json().getString("key");
    check("registerDevice", HttpMethod.POST, "/api/devices", token, new JsonObject().put("deviceId", "probe-2"));
    check("listDevices", HttpMethod.GET, "/api/devices", token, null);
    check("postReadings", HttpMethod.POST, "/api/sensors/probe-1/readings", key,
      new JsonObject().put("kind", "temperature").put("value", 21.5).put("unit", "C"));
    check("postReadings", HttpMethod.POST, "/api/sensors/probe-1/readings", key, new JsonObject().put("kind", "temperature"));
    check("deviceState", HttpMethod.GET, "/api/sensors/probe-1", token, null);
    check("aggregates", HttpMethod.GET, "/api/sensors/probe-1/aggregates?kind=temperature&window=1m", token, null);
    check("aggregates", HttpMethod.GET, "/api/sensors/probe-1/aggregates?kind=temperature&window=1y", token, null);
    check("revokeDevice", HttpMethod.DELETE, "/api/devices/probe-1", admin, null);
    check("revokeDevice", HttpMethod.DELETE, "/api/devices/probe-1", admin, null); // gone: 404

    check("deleteRoom", HttpMethod.DELETE, "/api/rooms/nowhere", token, null);
    node.bridge(token).compose(bridge -> bridge.request("chat.join", new JsonObject().put("room", "docs"))).await(30, TimeUnit.SECONDS);
    check("deleteRoom", HttpMethod.DELETE, "/api/rooms/docs", token, null); // its creator
    check("openapi", HttpMethod.GET, OpenApiDoc.PATH, null, null);
    check("health", HttpMethod.GET, "/health", null, null);
    check("ready", HttpMethod.GET, "/ready", null, null);
    check("metrics", HttpMethod.GET, "/metrics", null, null);
    check("logOut", HttpMethod.DELETE, "/api/sessions/current", token, null);
    check("logOut", HttpMethod.DELETE, "/api/sessions/current", token, null); // ended: 401
    String again = check("logIn", HttpMethod.POST, "/api/sessions", null, alice).json().getString("token");
    check("deleteUser", HttpMethod.DELETE, "/api/users/alice", again, null);

    Set<String> all = contract.operations().stream().map(Operation::getOperationId).collect(Collectors.toSet());
    Set<String> follow = Set.of("follow"); // its 200 is an endless stream: LiveHttpTest reads it
    assertThat(checked.keySet()).as("every operation was called").containsAll(all);
    all.stream().filter(id -> !follow.contains(id)).forEach(id -> assertThat(checked.get(id))
      .as(id + ": a success was seen").anyMatch(status -> status < 300));
    assertThat(checked.get("publish")).contains(201, 400, 403, 409);
    assertThat(checked.get("signUp")).contains(201, 400, 409);
  }
}
