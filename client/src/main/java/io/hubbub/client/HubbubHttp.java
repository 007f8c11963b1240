package io.hubbub.client;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

/**
 * Hubbub's HTTP API with a bearer token, on Vert.x's HTTP client: every request answered as a {@link Response}
 * in a future. {@link BlockingHttp} makes the same requests for a thread that waits on each answer.
 */
public final class HubbubHttp {

  /** How long a request may go without data before it fails. */
  public static final long IDLE_TIMEOUT_MS = 60_000;

  private final int port;
  private final HttpClient http;

  private HubbubHttp(int port, HttpClient http) {
    this.port = port;
    this.http = http;
  }

  /** A client of the Hubbub at {@code host:port}, with up to {@code connections} HTTP/1.1 connections at once. */
  public static HubbubHttp create(Vertx vertx, String host, int port, int connections) {
    return new HubbubHttp(port, vertx.createHttpClient(new HttpClientOptions().setDefaultHost(host).setDefaultPort(port),
      new PoolOptions().setHttp1MaxSize(connections)));
  }

  /** The same on this machine ({@code 127.0.0.1}). */
  public static HubbubHttp local(Vertx vertx, int port) {
    return create(vertx, "127.0.0.1", port, 64);
  }

  public int port() {
    return port;
  }

  /**
   * One request; {@code token} (or null) goes in {@code Authorization: Bearer}; {@code body} is a {@link Buffer}, a
   * {@link String} sent as it is, any other value as JSON, or null for none.
   */
  public Future<Response> request(HttpMethod method, String path, String token, Object body) {
    // a request that gets no data for that long fails, naming itself, rather than waiting for ever
    RequestOptions options = new RequestOptions().setMethod(method).setURI(path).setIdleTimeout(IDLE_TIMEOUT_MS);
    if (token != null) {
      options.putHeader("Authorization", bearer(token));
    }
    Buffer payload = body == null ? null : body instanceof Buffer b ? b : Buffer.buffer(text(body));
    // the body is asked for in the same step as the answer's head: Vert.x drops what arrives before that (vert.x#5904),
    // and a step chained from the caller's thread may run after the answer has ended when that thread is no Vert.x one
    return http.request(options).compose(req -> (payload == null ? req.send() : req.send(payload))
      .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), resp.headers(), b))));
  }

  public Future<Response> get(String path, String token) {
    return request(HttpMethod.GET, path, token, null);
  }

  public Future<Response> post(String path, String token, Object body) {
    return request(HttpMethod.POST, path, token, body);
  }

  /** A JSON call: the answer's JSON, or a failure ({@link HubbubException}) from 300 up. */
  public Future<JsonObject> call(HttpMethod method, String path, String token, Object body) {
    return request(method, path, token, body).map(response -> response.orThrow(method + " " + path));
  }

  /** Signs in ({@code POST /api/sessions}): the session's token. */
  public Future<String> login(String username, String password) {
    return call(HttpMethod.POST, "/api/sessions", null, credentials(username, password)).map(session -> session.getString("token"));
  }

  public Future<Void> close() {
    return http.close();
  }

  static JsonObject credentials(String username, String password) {
    return new JsonObject().put("username", username).put("password", password);
  }

  static String bearer(String token) {
    return "Bearer " + token;
  }

  static String text(Object body) {
    return body instanceof String s ? s : Json.encode(body);
  }
}
