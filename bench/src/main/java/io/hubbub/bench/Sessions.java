package io.hubbub.bench;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** A user and a session on the Hubbub under test, over its HTTP API. */
final class Sessions {

  private Sessions() {
  }

  /** Creates the user {@code bench} (if it is new) and returns a session token. */
  static String token(int port) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String credentials = new JsonObject().put("username", "bench").put("password", "bench-password-1").encode();
    http.send(post(port, "/api/users", credentials), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> session = http.send(post(port, "/api/sessions", credentials), HttpResponse.BodyHandlers.ofString());
    if (session.statusCode() != 201) {
      throw new IllegalStateException("no session: " + session.statusCode() + " " + session.body());
    }
    return new JsonObject(session.body()).getString("token");
  }

  private static HttpRequest post(int port, String path, String body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
      .POST(HttpRequest.BodyPublishers.ofString(body)).header("content-type", "application/json").build();
  }
}
