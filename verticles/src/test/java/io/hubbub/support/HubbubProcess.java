package io.hubbub.support;

import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real jar ({@code verticles/target/hubbub.jar}) started as a process, as a user starts it, on a
 * data folder and conf of the test's, with a free port. Stopped by its own process handle.
 */
public final class HubbubProcess implements AutoCloseable {

  private static final Pattern LISTENING = Pattern.compile("gateway listening \\[port: (\\d+)]");

  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Integer> port = new CompletableFuture<>();
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();

  private HubbubProcess(Process process, Path log) {
    this.process = process;
    Thread reader = new Thread(() -> read(log), "hubbub-process-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** A conf for a child process: the default one with a single gateway, cheap hashes and the test store if external. */
  public static JsonObject conf() {
    JsonObject conf = TestConf.defaults();
    conf.getJsonObject("auth").put("passwordIterations", 1_000);
    TestConf.only(conf, TestConf.EVERY_VERTICLE);
    if (TestStore.external()) {
      conf.getJsonObject("mongo").put("uri", TestStore.uri()).put("database", TestStore.freshDatabase());
    }
    return conf;
  }

  /** Starts the jar with {@code conf} written to {@code dir}/hubbub.json and data under {@code dir}/data. */
  public static HubbubProcess start(Path dir, JsonObject conf, Map<String, String> env) throws IOException {
    return start(dir, "hubbub", conf, env);
  }

  /** Starts the jar with {@code conf} written to {@code dir}/{@code name}.json and data under {@code dir}/{@code name}-data. */
  public static HubbubProcess start(Path dir, String name, JsonObject conf, Map<String, String> env) throws IOException {
    Path confFile = dir.resolve(name + ".json");
    Files.writeString(confFile, conf.encodePrettily());
    // Vert.x's file cache in the test's folder, not /tmp: a node killed with SIGKILL never deletes its own
    ProcessBuilder builder = new ProcessBuilder(
      Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
      "-Dvertx.cacheDirBase=" + dir.resolve(name + "-vertx-cache").toAbsolutePath(), "-jar", jar().toString())
      .directory(dir.toFile())
      .redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("HUBBUB_"));
    builder.environment().put("HUBBUB_CONF", confFile.toString());
    builder.environment().put("HUBBUB_DATA_DIR", dir.resolve("hubbub".equals(name) ? "data" : name + "-data").toString());
    builder.environment().put("HUBBUB_HTTP_PORT", "0");
    builder.environment().put("HUBBUB_ADMIN_PASSWORD", TestConf.ADMIN_PASSWORD);
    builder.environment().putAll(env);
    Path log = Path.of("target", "processes", dir.getFileName() + "-" + name + "-" + System.nanoTime() + ".log");
    Files.createDirectories(log.getParent());
    return new HubbubProcess(builder.start(), log);
  }

  private static Path jar() {
    Path jar = Path.of(System.getProperty("hubbub.jar", "target/hubbub.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no " + jar + ": run the tests with 'mvn verify', which packages the jar first");
    }
    return jar;
  }

  /** The HTTP port, once the node has started (fails if the process ends first); -1 for a node without a gateway. */
  public int awaitStarted() throws Exception {
    started.get(90, TimeUnit.SECONDS);
    return port.getNow(-1);
  }

  /** SIGKILL: no shutdown of any kind. (Through the handle: Process.destroy* would close our end of its output.) */
  public void kill() throws InterruptedException {
    process.toHandle().destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM, then the exit code. */
  public int terminate() throws InterruptedException {
    process.toHandle().destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("no exit within 60 s of SIGTERM");
    }
    return exitValue();
  }

  public int awaitExit() throws InterruptedException {
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("still running after 60 s");
    }
    return exitValue();
  }

  /** The exit code, once all the process printed has been read. */
  private int exitValue() {
    try {
      drained.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // what was read is what there is
    }
    return process.exitValue();
  }

  /** Sends a signal by name ({@code STOP}, {@code CONT}) to this process, by its pid. */
  public void signal(String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
    }
  }

  /**
   * What every thread of the node is doing (SIGQUIT makes the JVM print it to its output), for the failure message of
   * a test whose node stopped answering.
   */
  public String threadDump() throws Exception {
    int from = lines.size();
    signal("QUIT");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline && lines.subList(from, lines.size()).stream().noneMatch(line -> line.startsWith("JNI global refs"))) {
      Thread.sleep(20);
    }
    return String.join("\n", lines.subList(from, lines.size()));
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public List<String> output() {
    return lines;
  }

  /** The ports of the lines "{@code what} [port: N]" printed so far, in order ("mqtt listening": one a gateway instance). */
  public List<Integer> loggedPorts(String what) {
    Pattern line = Pattern.compile(Pattern.quote(what) + " \\[port: (\\d+)]");
    return lines.stream().map(line::matcher).filter(Matcher::find).map(m -> Integer.parseInt(m.group(1))).toList();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

  private void read(Path log) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         PrintWriter out = new PrintWriter(Files.newBufferedWriter(log))) {
      String line;
      while ((line = in.readLine()) != null) {
        lines.add(line);
        out.println(line);
        out.flush();
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          port.complete(Integer.parseInt(m.group(1)));
        }
        if (line.contains("hubbub started")) {
          started.complete(null);
        }
      }
    } catch (IOException e) {
      // the process is gone
    }
    started.completeExceptionally(new IllegalStateException("the process ended before it started: " + lines));
    drained.complete(null);
  }
}
