package io.hubbub.client;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * Hubbub's HTTP API with a bearer token, each answer waited for on the calling thread through the JDK's HTTP
 * client: for a thread that is no Vert.x context (a test step, a benchmark's driver, a script). The same requests
 * as {@link HubbubHttp}, which answers with futures.
 */
public final class BlockingHttp {

  /** One JDK client for the JVM: it keeps its connections and threads, however many of these there are. */
  private static final HttpClient JDK = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final String base;
  private final Duration timeout;

  /** A client of {@code http://host:port} whose requests wait at most {@code timeout} for their answer. */
  public BlockingHttp(String host, int port, Duration timeout) {
    this("http://" + host + ":" + port, timeout);
  }

  /** A client of the Hubbub at {@code baseUrl} ({@code https://hubbub.example.com}, no trailing slash needed). */
  public BlockingHttp(String baseUrl, Duration timeout) {
    this.base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.timeout = timeout;
  }

  /** The Hubbub on this machine's {@code port}, a minute per answer at most. */
  public static BlockingHttp local(int port) {
    return new BlockingHttp("127.0.0.1", port, Duration.ofSeconds(60));
  }

  /** One request; {@code token} and {@code body} as in {@link HubbubHttp#request}. */
  public Response send(HttpMethod method, String path, String token, Object body) throws IOException, InterruptedException {
    return send(method, path, token, body, Map.of());
  }

  /** One request with these headers besides (e.g. {@code Idempotency-Key}). */
  public Response send(HttpMethod method, String path, String token, Object body, Map<String, String> headers)
    throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
      .timeout(timeout)
      .method(method.name(), body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(
        body instanceof Buffer b ? b.getBytes() : HubbubHttp.text(body).getBytes(StandardCharsets.UTF_8)));
    if (token != null) {
      request.header("Authorization", HubbubHttp.bearer(token));
    }
    headers.forEach(request::header);
    HttpResponse<byte[]> response = JDK.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    MultiMap answered = MultiMap.caseInsensitiveMultiMap();
    response.headers().map().forEach(answered::add);
    return new Response(response.statusCode(), answered, Buffer.buffer(response.body()));
  }

  /** A JSON call: the answer's JSON, or a {@link HubbubException} from 300 up. */
  public JsonObject call(HttpMethod method, String path, String token, Object body) throws IOException, InterruptedException {
    return send(method, path, token, body).orThrow(method + " " + path);
  }

  /** Signs up ({@code POST /api/users}: the same name and password again is fine) and signs in: the session's token. */
  public String signUpAndLogin(String username, String password) throws IOException, InterruptedException {
    JsonObject credentials = HubbubHttp.credentials(username, password);
    call(HttpMethod.POST, "/api/users", null, credentials);
    return call(HttpMethod.POST, "/api/sessions", null, credentials).getString("token");
  }
}
