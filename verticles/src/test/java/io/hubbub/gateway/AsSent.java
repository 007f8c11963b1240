package io.hubbub.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Requests to a test node through a plain Vert.x client, and each answer as the server sent it: status, headers
 * (found in any case) and the body undecoded (the client decompresses nothing). For tests of what goes on the wire:
 * CORS headers, compression, caching.
 */
final class AsSent implements AutoCloseable {

  record Answer(int status, Map<String, String> headers, Buffer content) {
    String header(String name) {
      return headers.get(name);
    }

    String text() {
      return content.toString(StandardCharsets.UTF_8);
    }

    byte[] bytes() {
      return content.getBytes();
    }
  }

  private final Vertx vertx;
  private final int port;
  private final HttpClient client;

  AsSent(Vertx vertx, int port) {
    this.vertx = vertx;
    this.port = port;
    this.client = vertx.createHttpClient();
  }

  /** The whole answer to a request with {@code headers} and {@code body} (null: none). */
  Answer send(HttpMethod method, String uri, Map<String, String> headers, String body) throws Exception {
    return send(method, uri, headers, body, false);
  }

  /** What came in the first second of an answer that may never end (an event stream). */
  Answer firstSecond(HttpMethod method, String uri, Map<String, String> headers) throws Exception {
    return send(method, uri, headers, null, true);
  }

  private Answer send(HttpMethod method, String uri, Map<String, String> headers, String body, boolean stream) throws Exception {
    RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(uri);
    headers.forEach(options::putHeader);
    // the body is asked for in the step that gets the answer's head (see HubbubHttp#request)
    return client.request(options).compose(request -> (body == null ? request.send() : request.send(body)).compose(response -> {
      Map<String, String> received = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      response.headers().forEach(h -> received.put(h.getKey(), h.getValue()));
      if (!stream) {
        return response.body().map(content -> new Answer(response.statusCode(), received, content));
      }
      Buffer first = Buffer.buffer();
      response.handler(first::appendBuffer);
      return vertx.timer(1, TimeUnit.SECONDS).map(v -> new Answer(response.statusCode(), received, first));
    })).await(20, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    client.close().await(10, TimeUnit.SECONDS);
  }
}
