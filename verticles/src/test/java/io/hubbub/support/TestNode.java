package io.hubbub.support;

import io.hubbub.Node;
import io.hubbub.client.BlockingHttp;
import io.hubbub.client.BridgeClient;
import io.hubbub.client.HubbubHttp;
import io.hubbub.client.Response;
import io.hubbub.gateway.GatewayVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real node (the conf's verticles on a real Vert.x, HTTP server on a free port, test store) plus
 * an HTTP client and a read-only view of its database for assertions.
 */
public final class TestNode {

  public final Vertx vertx;
  public final JsonObject conf;
  public final int port;
  private final Node node;
  /** The node's HTTP API, through the Java client. */
  public final HubbubHttp http;
  private final BlockingHttp blocking;
  private final List<BridgeClient> bridges = new CopyOnWriteArrayList<>();
  private MongoClient mongo;

  private TestNode(Vertx vertx, JsonObject conf, Node node) {
    this.vertx = vertx;
    this.conf = conf;
    this.node = node;
    Integer bound = (Integer) vertx.sharedData().getLocalMap(GatewayVerticle.LOCAL_MAP).get(GatewayVerticle.PORT_KEY);
    this.port = bound == null ? -1 : bound;
    this.http = HubbubHttp.local(vertx, port);
    this.blocking = BlockingHttp.local(port);
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

  /** A bridge socket to the node, signed in with {@code token} (null: anonymous); closed when the node stops. */
  public Future<BridgeClient> bridge(String token) {
    return BridgeClient.connect(vertx, port).map(client -> {
      bridges.add(client);
      return client.token(token);
    });
  }

  /** Undeploys the node's verticles and drops its database; the Vert.x instance belongs to the test extension. */
  public Future<Void> stop() {
    // a socket the test closed, or the server did, closes again quietly
    return Future.join(bridges.stream().map(BridgeClient::close).toList()).<Void>mapEmpty().otherwiseEmpty()
      .eventually(http::close)
      .eventually(node::undeploy)
      .eventually(() -> db().runCommand("dropDatabase", new JsonObject().put("dropDatabase", 1)))
      .eventually(() -> mongo.close());
  }

  public Future<Response> request(HttpMethod method, String path, String token, Object body) {
    return http.request(method, path, token, body);
  }

  /**
   * The same request, answered on the calling thread, for tests that run step by step on the JUnit
   * thread. (The Vert.x client waited on from such a thread was seen, rarely, never to deliver an answer: its
   * body step ran after the answer had ended, which {@link HubbubHttp#request} no longer lets happen.)
   */
  public Response call(HttpMethod method, String path, String token, Object body) throws Exception {
    return blocking.send(method, path, token, body);
  }

  /** {@link #call} with these headers besides. */
  public Response call(HttpMethod method, String path, String token, Object body, Map<String, String> headers) throws Exception {
    return blocking.send(method, path, token, body, headers);
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

  /** A user's token and the admin's. */
  public record Tokens(String user, String admin) {
  }

  /** Creates a user as {@link #user} does and signs the admin in. */
  public Future<Tokens> userAndAdmin(String name) {
    return user(name).compose(user -> adminToken().map(admin -> new Tokens(user, admin)));
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
