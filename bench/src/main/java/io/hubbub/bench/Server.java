package io.hubbub.bench;

import io.hubbub.client.BlockingHttp;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server under test in its own process (Hubbub's jar, or the Socket.IO peer under Node), so that its CPU
 * time and memory are read from its own counters ({@code /proc/<pid>}), apart from the load generator's.
 */
final class Server implements AutoCloseable {

  /** JVM options added to every Hubbub server the bench starts, e.g. {@code -XX:StartFlightRecording=filename=x.jfr}. */
  static final String EXTRA_OPTIONS = "HUBBUB_BENCH_SERVER_OPTS";
  /** Another build's jar to run instead of this checkout's (an A/B of two builds with the same bench). */
  static final String JAR_OVERRIDE = "HUBBUB_BENCH_JAR";
  static final Path HUBBUB_JAR = hubbubJar();
  static final Path SOCKETIO = Path.of("bench", "peers", "socketio");

  private static final Pattern HUBBUB_LISTENING = Pattern.compile("gateway listening \\[port: (\\d+)]");
  private static final Pattern NODE_LISTENING = Pattern.compile("listening on (\\d+)");
  private static final Pattern MQTT_LISTENING = Pattern.compile("mqtt listening \\[port: (\\d+)]");
  private static final long CLOCK_TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s
  /**
   * A stop-the-world pause as {@code -Xlog:gc} prints it, its decorations first, e.g.
   * {@code [49.6s][info][gc] GC(16) Pause Young ... 11.119ms}.
   */
  private static final Pattern GC_PAUSE = Pattern.compile("^(?:\\[[^\\]]*\\])*\\[gc *] GC\\(\\d+\\) Pause .* (\\d+(?:\\.\\d+)?)ms$");

  final String name;
  private final Process process;
  private final CompletableFuture<Integer> port = new CompletableFuture<>();
  private final CompletableFuture<Integer> mqttPort = new CompletableFuture<>();
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private volatile String joined = "?";
  /** The JVM's stop-the-world GC pauses so far, in ms, as it logged them; {@link #hubbub} only. */
  private final List<Double> pauses = new CopyOnWriteArrayList<>();
  /**
   * Whether it is a Hubbub node, not the Node peer: a JVM started with {@code -Xlog:gc}, which logs its GC pauses, and
   * a gateway serving {@code /metrics}.
   */
  private final boolean hubbub;
  /** Stops the process when the bench itself is stopped (Ctrl-C, SIGTERM) before {@link #close}. */
  private final Thread reaper;

  private Server(String name, ProcessBuilder builder, Pattern listening, boolean hubbub) throws IOException {
    this.name = name;
    this.hubbub = hubbub;
    this.process = builder.redirectErrorStream(true).start();
    this.reaper = new Thread(this::stop, "stop-" + name);
    Runtime.getRuntime().addShutdownHook(reaper);
    Thread reader = new Thread(() -> read(listening), "server-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** Hubbub from its jar, with this conf (written to {@code dir}); {@code jvmOptions} e.g. the heap. */
  private static Path hubbubJar() {
    String other = System.getenv(JAR_OVERRIDE);
    return other == null || other.isBlank() ? Path.of("verticles", "target", "hubbub.jar") : Path.of(other);
  }

  static Server hubbub(Path dir, JsonObject conf, List<String> jvmOptions) throws IOException {
    return hubbub("hubbub", dir, conf, jvmOptions);
  }

  /** A named Hubbub node ({@code HUBBUB_NODE_NAME}), e.g. one of a cluster. */
  static Server hubbub(String name, Path dir, JsonObject conf, List<String> jvmOptions) throws IOException {
    if (!Files.isRegularFile(HUBBUB_JAR)) {
      throw new IllegalStateException("no " + HUBBUB_JAR + ": run from the repository root after 'mvn -B -q -DskipTests package'");
    }
    Path file = dir.resolve(name + "-" + System.nanoTime() + ".json");
    if (conf.getValue("mqtt") instanceof JsonObject mqtt && mqtt.getInteger("port", 1883) != 0) {
      conf = conf.copy().put("mqtt", mqtt.copy().put("port", 0)); // the server under test never takes the well-known port
    }
    Files.writeString(file, conf.encodePrettily());
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    // each stop-the-world GC pause as one line on stdout, read by read(): what a tail latency may be made of
    command.add("-Xlog:gc:stdout");
    String extra = System.getenv(EXTRA_OPTIONS);
    if (extra != null && !extra.isBlank()) {
      command.addAll(List.of(extra.trim().split("\\s+"))); // e.g. a JFR recording of the server
    }
    command.addAll(List.of("-jar", HUBBUB_JAR.toString()));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().removeIf(k -> k.startsWith("HUBBUB_"));
    builder.environment().put("HUBBUB_CONF", file.toString());
    builder.environment().put("HUBBUB_NODE_NAME", name);
    return new Server(name, builder, HUBBUB_LISTENING, true);
  }

  /** The Socket.IO 4 peer ({@code bench/peers/socketio}); {@code mongoUri} null: no store. */
  static Server socketIo(String mongoUri, boolean compression) throws IOException {
    if (!Files.isDirectory(SOCKETIO.resolve("node_modules"))) {
      throw new IllegalStateException("the Socket.IO peer is not installed: run 'npm ci --prefix " + SOCKETIO + "'");
    }
    ProcessBuilder builder = new ProcessBuilder("node", SOCKETIO.resolve("server.js").toString());
    builder.environment().put("PORT", "0");
    builder.environment().put("COMPRESSION", compression ? "1" : "0");
    if (mongoUri != null) {
      builder.environment().put("MONGO_URI", mongoUri);
    }
    return new Server("socket.io", builder, NODE_LISTENING, false);
  }

  /** The HTTP port its gateway listens on, once it does; -1 for a node without a gateway (once started). */
  int port() throws Exception {
    return port.get(120, TimeUnit.SECONDS);
  }

  /** The port its MQTT listener took (conf {@code mqtt.enabled}), once it does. */
  int mqttPort() throws Exception {
    return mqttPort.get(120, TimeUnit.SECONDS);
  }

  /** Waits until the node has started all its verticles. */
  void awaitStarted() throws Exception {
    started.get(120, TimeUnit.SECONDS);
  }

  /** Whether it listens on HTTP (known once started). */
  boolean hasGateway() {
    return port.isDone() && port.getNow(-1) > 0;
  }

  /** Its log line on joining the cluster, from "joined the cluster" on ("?" before). */
  String joined() {
    return joined;
  }

  /** SIGKILL: the node dies at once, as in a crash. */
  void kill() {
    process.toHandle().destroyForcibly();
  }

  long pid() {
    return process.pid();
  }

  /** CPU time (user + system) the process has used so far, in nanoseconds. */
  long cpuNanos() throws IOException {
    String stat = Files.readString(Path.of("/proc", String.valueOf(pid()), "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14 and 15)
    return ticks * (1_000_000_000L / CLOCK_TICKS);
  }

  /** CPU time (user + system) the JIT compiler's threads have used so far, in nanoseconds: warm-up, not load. */
  long compilerNanos() throws IOException {
    return threadCpu().entrySet().stream().filter(e -> e.getKey().contains("CompilerThre"))
      .mapToLong(e -> e.getValue()[0] + e.getValue()[1]).sum();
  }

  /**
   * What the process's live threads have used so far, per kind of thread: the name as Linux keeps it (15 characters),
   * digits as {@code #} ({@code vert.x-eventloo}, {@code mongo-server-wo}, ...), each {user ns, system ns, context
   * switches (voluntary and not)}. A thread switch costs more than most of the code on an event's way on a small VM.
   */
  Map<String, long[]> threadCpu() throws IOException {
    Map<String, long[]> kinds = new TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc", String.valueOf(pid()), "task"))) {
      for (Path task : tasks.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
          long switches = 0;
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
              switches += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
          }
          long[] use = kinds.computeIfAbsent(name, k -> new long[3]);
          use[0] += Long.parseLong(fields[11]) * (1_000_000_000L / CLOCK_TICKS);
          use[1] += Long.parseLong(fields[12]) * (1_000_000_000L / CLOCK_TICKS);
          use[2] += switches;
        } catch (IOException e) {
          // the thread ended meanwhile
        }
      }
    }
    return kinds;
  }

  /**
   * Where the server's CPU went between two {@link #threadCpu} readings, per {@code unit} (an event, a reading): each
   * kind of thread's µs (of which system) and thread switches, the most CPU first.
   */
  static String byThreads(Map<String, long[]> before, Map<String, long[]> after, long units, String unit) {
    StringBuilder line = new StringBuilder(String.format("  server per %s by thread, µs (of which system) [switches]:", unit));
    since(before, after).entrySet().stream()
      .filter(e -> e.getValue()[0] + e.getValue()[1] > 0)
      .sorted((a, b) -> Long.compare(b.getValue()[0] + b.getValue()[1], a.getValue()[0] + a.getValue()[1]))
      .limit(10)
      .forEach(e -> line.append(String.format(" %s %.0f (%.0f) [%.1f];", e.getKey(),
        (e.getValue()[0] + e.getValue()[1]) / 1e3 / units, e.getValue()[1] / 1e3 / units, e.getValue()[2] / (double) units)));
    return line.toString();
  }

  /** The thread switches of the process's live threads between two {@link #threadCpu} readings. */
  static long switches(Map<String, long[]> before, Map<String, long[]> after) {
    return since(before, after).values().stream().mapToLong(use -> use[2]).sum();
  }

  /**
   * Each kind of thread's use between two {@link #threadCpu} readings; a kind whose threads ended meanwhile (the JIT
   * stops compiler threads it no longer needs) counts none rather than less than none.
   */
  private static Map<String, long[]> since(Map<String, long[]> before, Map<String, long[]> after) {
    Map<String, long[]> used = new TreeMap<>();
    after.forEach((kind, now) -> {
      long[] was = before.getOrDefault(kind, new long[3]);
      used.put(kind, new long[] {Math.max(0, now[0] - was[0]), Math.max(0, now[1] - was[1]), Math.max(0, now[2] - was[2])});
    });
    return used;
  }

  /** A mark for {@link #pausesSince}: the GC pauses the server has logged so far. */
  int pauseMark() {
    return pauses.size();
  }

  /**
   * The JVM's stop-the-world GC pauses since {@code mark}, to follow another text: {@code " GC pauses: <count>, max
   * <ms>, total <ms>"} (a line is read a moment after its pause ends); empty for a server that logs none (the peer).
   */
  String pausesSince(int mark) {
    if (!hubbub) {
      return "";
    }
    List<Double> all = List.copyOf(pauses); // a copy: a view of the list fails once the reader adds to it
    List<Double> since = all.subList(Math.min(mark, all.size()), all.size());
    double max = since.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    double total = since.stream().mapToDouble(Double::doubleValue).sum();
    return String.format(" GC pauses: %d, max %.1f ms, total %.1f ms", since.size(), max, total);
  }

  /** Its {@code /metrics} (Prometheus text) now; empty for a server that has none (the peer). */
  String metrics() throws Exception {
    return hubbub ? BlockingHttp.local(port()).send(HttpMethod.GET, "/metrics", null, null).text() : "";
  }

  /** The length of the stop-the-world GC pause a line of {@code -Xlog:gc} reports; empty for any other line. */
  static OptionalDouble pauseMs(String line) {
    Matcher pause = GC_PAUSE.matcher(line);
    return pause.find() ? OptionalDouble.of(Double.parseDouble(pause.group(1))) : OptionalDouble.empty();
  }

  /** Resident memory of the process, in bytes. */
  long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  /** A JVM's heap in use right after a full GC, in bytes (asks {@code jcmd}). */
  long heapAfterGc() throws Exception {
    jcmd("GC.run");
    String info = jcmd("GC.heap_info");
    Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
    return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
  }

  private String jcmd(String command) throws Exception {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
      String.valueOf(pid()), command).redirectErrorStream(true).start();
    String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    jcmd.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  private void read(Pattern listening) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        Matcher m = listening.matcher(line);
        if (m.find()) {
          port.complete(Integer.parseInt(m.group(1)));
        }
        Matcher mqtt = MQTT_LISTENING.matcher(line);
        if (mqtt.find()) {
          mqttPort.complete(Integer.parseInt(mqtt.group(1)));
        }
        int at = line.indexOf("joined the cluster");
        if (at >= 0) {
          joined = line.substring(at);
        }
        OptionalDouble pause = pauseMs(line);
        if (pause.isPresent()) {
          pauses.add(pause.getAsDouble());
          continue; // the JVM's line, not the server's own log
        }
        if (line.contains("hubbub started")) {
          port.complete(-1); // no gateway
          started.complete(null);
        }
        if (line.contains("ERROR") || line.contains("Error")) {
          System.err.println("  [" + name + "] " + line);
        }
      }
    } catch (IOException e) {
      // the process is gone
    }
    port.completeExceptionally(new IllegalStateException(name + " ended before it listened"));
    started.completeExceptionally(new IllegalStateException(name + " ended before it started"));
  }

  /** Stops the process (SIGTERM, then SIGKILL after 60 s) and waits for it. */
  @Override
  public void close() throws InterruptedException {
    process.toHandle().destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.toHandle().destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook finds the process gone
    }
  }

  /** The shutdown hook: SIGTERM, then SIGKILL after 10 s (a JVM that is ending cannot wait long). */
  private void stop() {
    process.toHandle().destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.toHandle().destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.toHandle().destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
