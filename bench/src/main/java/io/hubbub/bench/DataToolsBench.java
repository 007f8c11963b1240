package io.hubbub.bench;

import io.hubbub.client.HubbubHttp;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the data tools cost, run as users run them ({@code java -jar hubbub.jar backup|export|import|restore} in a
 * process of their own) against Hubbub as deployed (its jar, its own process, the embedded store inside), on a
 * store of {@code events} events of 200 bytes in {@code streams} streams: backup and export while the node serves,
 * then import into an empty store and restore into an empty folder. Each row: seconds, megabytes, events/s.
 *
 * <pre>java -jar bench/target/hubbub-bench.jar datatools [events=200000] [streams=100]</pre>
 */
final class DataToolsBench {

  private static final String DATA = "x".repeat(180);

  private DataToolsBench() {
  }

  static void run(int events, int streams) throws Exception {
    Path dir = Files.createTempDirectory("hubbub-datatools");
    System.out.printf("hubbub data tools: %,d events of 200 bytes in %d streams, embedded store%n", events, streams);
    Results results = new Results("datatools", new JsonObject().put("events", events).put("streams", streams),
      List.of("tool", "seconds", "MB", "events/s"));
    Vertx vertx = Vertx.vertx();
    try {
      JsonObject conf = conf(dir.resolve("data"));
      Path confFile = dir.resolve("node.json");
      Files.writeString(confFile, conf.encodePrettily());
      try (Server server = Server.hubbub(dir, conf, List.of("-Xmx512m"))) {
        int port = server.port();
        server.awaitStarted();
        String token = Sessions.token(port);
        HubbubHttp http = HubbubHttp.create(vertx, "127.0.0.1", port, 8);
        long start = System.nanoTime();
        for (int written = 0, n = 0; written < events; n++) {
          int batch = Math.min(1_000, events - written);
          JsonArray list = new JsonArray();
          for (int i = 0; i < batch; i++) {
            list.add(new JsonObject().put("type", "E").put("data", new JsonObject().put("text", DATA)));
          }
          int status = http.request(HttpMethod.POST, "/api/streams/app.s-" + n % streams + "/events", token, list)
            .await(60, TimeUnit.SECONDS).status();
          if (status != 201) {
            throw new IllegalStateException("filling: HTTP " + status);
          }
          written += batch;
        }
        System.out.printf("  filled in %.1f s%n", (System.nanoTime() - start) / 1e9);
        http.close().await(10, TimeUnit.SECONDS);
        results.add(tool("backup, while serving", confFile, events, dir.resolve("backup"), "backup", dir.resolve("backup").toString()));
        results.add(tool("export, while serving", confFile, events, dir.resolve("export.jsonl"), "export", dir.resolve("export.jsonl").toString()));
      }
      Path empty = dir.resolve("node-empty.json");
      Files.writeString(empty, conf(dir.resolve("imported")).encodePrettily());
      results.add(tool("import into an empty store", empty, events, dir.resolve("imported"), "import", dir.resolve("export.jsonl").toString()));
      Path restored = dir.resolve("node-restored.json");
      Files.writeString(restored, conf(dir.resolve("restored")).encodePrettily());
      results.add(tool("restore into an empty folder", restored, events, dir.resolve("restored"), "restore", dir.resolve("backup").toString()));
      results.finish();
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
      BenchStore.deleteTree(dir);
    }
  }

  private static JsonObject conf(Path dataDir) throws Exception {
    JsonObject conf = new JsonObject(Files.readString(Path.of("conf", "hubbub.json")));
    conf.getJsonObject("http").put("port", 0);
    conf.getJsonObject("mongo").put("dataDir", dataDir.toString());
    conf.getJsonObject("auth").put("passwordIterations", 1_000);
    return conf;
  }

  /** Runs {@code java -jar hubbub.jar <args>} with the conf, and what it made; answers the row. */
  private static Object[] tool(String label, Path conf, int events, Path made, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-jar", Server.HUBBUB_JAR.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("HUBBUB_"));
    builder.environment().put("HUBBUB_CONF", conf.toString());
    long start = System.nanoTime();
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(30, TimeUnit.MINUTES) || process.exitValue() != 0) {
      throw new IllegalStateException(label + " failed:\n" + output);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double mb = size(made) / 1e6;
    System.out.printf("  %s: %.1f s, %.1f MB, %,.0f events/s%n", label, seconds, mb, events / seconds);
    return new Object[] {label, Math.round(seconds * 10) / 10.0, Math.round(mb * 10) / 10.0, Math.round(events / seconds)};
  }

  private static long size(Path path) throws Exception {
    if (Files.isRegularFile(path)) {
      return Files.size(path);
    }
    try (var walk = Files.walk(path)) {
      return walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
