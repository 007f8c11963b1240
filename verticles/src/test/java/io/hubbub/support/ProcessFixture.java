package io.hubbub.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a test of the jar as a process needs: a temporary folder, the processes it started (killed by
 * their handles when the test ends), and a Vert.x to talk to them over HTTP.
 */
public final class ProcessFixture implements AutoCloseable {

  public final Vertx vertx = Vertx.vertx();
  public final Path dir;
  private final List<HubbubProcess> processes = new ArrayList<>();

  public ProcessFixture(String name) throws Exception {
    dir = Files.createTempDirectory(name);
  }

  public HubbubProcess start(JsonObject conf, Map<String, String> env) throws Exception {
    HubbubProcess process = HubbubProcess.start(dir, conf, env);
    processes.add(process);
    return process;
  }

  /** Starts one of several nodes: its conf goes to {@code name}.json, its data under {@code name}-data. */
  public HubbubProcess start(String name, JsonObject conf, Map<String, String> env) throws Exception {
    HubbubProcess process = HubbubProcess.start(dir, name, conf, env);
    processes.add(process);
    return process;
  }

  public HttpClient http(int port, int connections) {
    return vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port),
      new PoolOptions().setHttp1MaxSize(connections));
  }

  /** A JSON call; any status from 300 up fails the future with the status and body. */
  public static Future<JsonObject> call(HttpClient http, HttpMethod method, String path, String token, JsonObject body) {
    RequestOptions options = new RequestOptions().setMethod(method).setURI(path);
    if (token != null) {
      options.putHeader("Authorization", "Bearer " + token);
    }
    return http.request(options)
      .compose(req -> body == null ? req.send() : req.send(body.toBuffer()))
      .compose(resp -> resp.body().map(b -> {
        if (resp.statusCode() >= 300) {
          throw new IllegalStateException(method + " " + path + ": " + resp.statusCode() + " " + b);
        }
        return b.length() == 0 ? new JsonObject() : new JsonObject(b);
      }));
  }

  @Override
  public void close() throws Exception {
    for (HubbubProcess p : processes) {
      p.close();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
    TestFiles.deleteTree(dir);
  }
}
