package io.hubbub.support;

import io.hubbub.client.HubbubHttp;
import io.vertx.core.Vertx;
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

  /** The HTTP API of the process listening on {@code port}, with up to {@code connections} at once. */
  public HubbubHttp http(int port, int connections) {
    return HubbubHttp.create(vertx, "127.0.0.1", port, connections);
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
