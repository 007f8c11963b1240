package io.hubbub.support;

import io.hubbub.Node;
import io.hubbub.gateway.GatewayVerticle;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;

/**
 * A real node (the conf's verticles on a real Vert.x, HTTP server on a free port, test store) plus
 * an HTTP client and a read-only view of its database for assertions.
 */
public final class TestNode {

  /** An HTTP answer: status, headers and body. */
  public record Response(int status, MultiMap headers, Buffer body) {
    public JsonObject json() {
      return body.length() == 0 ? null : new JsonObject(body);
    }

    public Object value() {
      return Json.decodeValue(body);
    }

    public int errorCode() {
      return json().getJsonObject("error").getInteger("code");
    }

    public String errorMessage() {
      return json().getJsonObject("error").getString("message");
    }
  }

  public final Vertx vertx;
  public final JsonObject conf;
  public final int port;
  private final Node node;
  private final HttpClient http;
  private final java.net.http.HttpClient blocking = java.net.http.HttpClient.newHttpClient();
  private MongoClient mongo;

  private TestNode(Vertx vertx, JsonObject conf, Node node) {
    this.vertx = vertx;
    this.conf = conf;
    this.node = node;
    Integer bound = (Integer) vertx.sharedData().getLocalMap(GatewayVerticle.LOCAL_MAP).get(GatewayVerticle.PORT_KEY);
    this.port = bound == null ? -1 : bound;
    this.http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port),
      new PoolOptions().setHttp1MaxSize(64));
  }

  public static Future<TestNode> start(Vertx vertx, JsonObject conf) {
    return Node.start(vertx, conf).map(node -> new TestNode(vertx, conf, node));
  }

  /** Undeploys the node's verticles and deploys them again on the same database: a restart, nothing cached. */
  public Future<TestNode> restart() {
    return http.close()
      .eventually(node::undeploy)
      .eventually(() -> mongo.close())
      .compose(v -> start(vertx, conf));
  }

  /** Undeploys the node's verticles and drops its database; the Vert.x instance belongs to the test extension. */
  public Future<Void> stop() {
    return http.close()
      .eventually(node::undeploy)
      .eventually(() -> db().runCommand("dropDatabase", new JsonObject().put("dropDatabase", 1)))
      .eventually(() -> mongo.close());
  }

  public Future<Response> request(HttpMethod method, String path, String token, Object body) {
    RequestOptions options = new RequestOptions().setMethod(method).setURI(path);
    if (token != null) {
      options.putHeader("Authorization", "Bearer " + token);
    }
    Buffer payload = body == null ? null : body instanceof Buffer b ? b
      : body instanceof String s ? Buffer.buffer(s) : Json.encodeToBuffer(body);
    return http.request(options)
      .compose(req -> payload == null ? req.send() : req.send(payload))
      .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), resp.headers(), b)));
  }

  /**
   * The same request, answered on the calling thread, for tests that run step by step on the JUnit
   * thread. It uses the JDK's HTTP client: a blocked test thread is no Vert.x context, and the Vert.x
   * client waited on from one was seen, rarely, never to deliver an answer.
   */
  public Response call(HttpMethod method, String path, String token, Object body) throws Exception {
    java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + port + path))
      .timeout(java.time.Duration.ofSeconds(60))
      .method(method.name(), body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
        : java.net.http.HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : Json.encode(body)));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    java.net.http.HttpResponse<byte[]> response = blocking.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    response.headers().map().forEach(headers::add);
    return new Response(response.statusCode(), headers, Buffer.buffer(response.body()));
  }

  public Future<Response> get(String path, String token) {
    return request(HttpMethod.GET, path, token, null);
  }

  public Future<Response> post(String path, String token, Object body) {
    return request(HttpMethod.POST, path, token, body);
  }

  /** Creates a user (password "password-" + name) and returns a session token for it. */
  public Future<String> user(String name) {
    JsonObject credentials = new JsonObject().put("username", name).put("password", "password-" + name);
    return post("/api/users", null, credentials)
      .compose(created -> post("/api/sessions", null, credentials))
      .map(session -> {
        if (session.status() != 201) {
          throw new IllegalStateException("login failed: " + session.status() + " " + session.body());
        }
        return session.json().getString("token");
      });
  }

  public Future<String> adminToken() {
    return post("/api/sessions", null, new JsonObject().put("username", TestConf.ADMIN).put("password", TestConf.ADMIN_PASSWORD))
      .map(r -> r.json().getString("token"));
  }

  /** The node's database, read directly (for assertions only: the code under test never does this). */
  public MongoClient db() {
    if (mongo == null) {
      JsonObject m = conf.getJsonObject("mongo");
      mongo = MongoClient.create(vertx, new JsonObject()
        .put("connection_string", m.getString("uri")).put("db_name", m.getString("database")));
    }
    return mongo;
  }
}
