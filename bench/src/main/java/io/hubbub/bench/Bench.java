package io.hubbub.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/**
 * One command per scenario: {@code java -jar bench/target/hubbub-bench.jar <scenario> [key=value ...]}, run from
 * the repository root after {@code mvn -B -q -DskipTests package} (see bench/README.md). The options are written
 * {@code key=value}, as the results record them; {@code <scenario> --help} lists a scenario's options and defaults.
 * Each scenario is a method here: picocli reads its options from the parameters' annotations.
 */
@Command(name = "hubbub-bench", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
  description = "Hubbub's benchmarks; each prints a table and writes its results under bench/results/.")
public final class Bench implements Runnable {

  private static final String DEFAULT = " (default: ${DEFAULT-VALUE})";

  public static void main(String[] args) {
    System.exit(new CommandLine(new Bench()).execute(args));
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this), "name a scenario (--help lists them)");
  }

  @Command(name = "append",
    description = "Durable appends/s for 1, 16, 64, 256 publishers over HTTP and the bridge, beside the store's raw rate.")
  void append(@Option(names = "seconds", defaultValue = "10", description = "seconds per scenario" + DEFAULT) int seconds,
              @Option(names = "warmup", defaultValue = "60", description = "seconds of warm-up: HTTP, the bridge and batches at once, new streams every 5 s" + DEFAULT)
              int warmup,
              @Option(names = "publishers", defaultValue = "1,16,64,256", split = ",", description = "publisher counts" + DEFAULT)
              List<Integer> publishers,
              @Option(names = "sharedStreams", defaultValue = "4", description = "streams the many-publishers rows share (0: leave those rows out)" + DEFAULT)
              int sharedStreams,
              @Option(names = "batchPublishers", defaultValue = "1,4", split = ",",
                description = "publisher counts of the batch rows, each posting batches of 1,000 to a stream of its own" + DEFAULT)
              List<Integer> batchPublishers) throws Exception {
    AppendBench.run(seconds, warmup, publishers, sharedStreams, batchPublishers);
  }

  @Command(name = "retention", description = "Appends and reads with and without retention dropping buckets beside them.")
  void retention(@Option(names = "seconds", defaultValue = "20", description = "seconds per run" + DEFAULT) int seconds,
                 @Option(names = "publishers", defaultValue = "16", description = "publishers, each on its own stream" + DEFAULT)
                 int publishers,
                 @Option(names = "keep", defaultValue = "500", description = "events each stream keeps in the second run" + DEFAULT)
                 int keep,
                 @Option(names = "rounds", defaultValue = "2", description = "rounds of the two runs" + DEFAULT) int rounds)
    throws Exception {
    RetentionBench.run(seconds, publishers, keep, rounds);
  }

  @Command(name = "soak", description = "Hubbub as deployed under a steady load with retention: its data file's size over time.")
  void soak(@Option(names = "minutes", defaultValue = "20", description = "how long" + DEFAULT) int minutes,
            @Option(names = "rate", defaultValue = "200", description = "events/s offered" + DEFAULT) int rate,
            @Option(names = "streams", defaultValue = "16", description = "streams they spread over" + DEFAULT) int streams,
            @Option(names = "retention", defaultValue = "120", description = "seconds the app namespace keeps" + DEFAULT) int retention,
            @Option(names = "sampleSeconds", defaultValue = "15", description = "seconds between samples" + DEFAULT) int sampleSeconds)
    throws Exception {
    SoakBench.run(minutes, rate, streams, retention, sampleSeconds);
  }

  @Command(name = "datatools", description = "backup, export, import and restore as users run them, on a filled embedded store.")
  void datatools(@Option(names = "events", defaultValue = "200000", description = "events in the store" + DEFAULT) int events,
                 @Option(names = "streams", defaultValue = "100", description = "streams they are in" + DEFAULT) int streams)
    throws Exception {
    DataToolsBench.run(events, streams);
  }

  /** The fan-out sweep's options, for {@code fanout} and {@code peer}. */
  static final class Sweep {
    @Option(names = "rooms", defaultValue = "10", description = "rooms" + DEFAULT) int rooms;
    @Option(names = "subscribers", defaultValue = "20", description = "subscribers per room" + DEFAULT) int subscribers;
    @Option(names = "seconds", defaultValue = "5", description = "seconds per rate" + DEFAULT) int seconds;
    // past the server's first retention sweep (storage.retentionSweepSeconds, 60): its store reads send new types
    // through the append path's compiled code (~170 deoptimizations in that second), which C2 recompiles for seconds
    @Option(names = "warmup", defaultValue = "90", description = "warm-up seconds (past the first retention sweep)" + DEFAULT) int warmup;
    @Option(names = "rates", defaultValue = "250,500,1000,2000,4000,8000", split = ",", description = "offered/s" + DEFAULT) List<Integer> rates;
    @Option(names = "compression", defaultValue = "off", description = "permessage-deflate: off, on or both" + DEFAULT) String compression;
    @Option(names = "store", defaultValue = "off", description = "Socket.IO stores each message: on or off" + DEFAULT) String store;
    @Option(names = "rounds", defaultValue = "1", description = "rounds of the whole sweep" + DEFAULT) int rounds;
    @Option(names = "jfr", description = "a flight recording of the Hubbub server to this file") String jfr;

    void run(List<String> targets) throws Exception {
      FanoutBench.run(new FanoutBench.Options(rooms, subscribers, seconds, warmup, rates, compression, targets,
        "on".equals(store), rounds, jfr));
    }
  }

  @Command(name = "fanout", description = "R rooms x M subscribers, publish-rate sweep up to saturation.")
  void fanout(@Mixin Sweep sweep, @Option(names = "targets", defaultValue = "hubbub", split = ",",
    description = "hubbub, socketio" + DEFAULT) List<String> targets) throws Exception {
    sweep.run(targets);
  }

  @Command(name = "peer", description = "The fan-out sweep against Hubbub and Socket.IO 4, one after the other.")
  void peer(@Mixin Sweep sweep, @Option(names = "targets", defaultValue = "hubbub,socketio", split = ",",
    description = "hubbub, socketio" + DEFAULT) List<String> targets) throws Exception {
    sweep.run(targets);
  }

  @Command(name = "catchup", description = "Reading events from seq 1 and from far into a long stream; disk per event.")
  void catchup(@Option(names = "events", defaultValue = "1100000", description = "events in the stream" + DEFAULT) long events,
               @Option(names = "read", defaultValue = "100000", description = "events read" + DEFAULT) long read,
               @Option(names = "warmup", defaultValue = "40", description = "seconds of the same reads, untimed, first (at least one round)"
                 + DEFAULT) int warmup) throws Exception {
    CatchupBench.run(events, read, warmup);
  }

  @Command(name = "connections", description = "Idle bridge WebSockets: heap and RSS per connection.")
  void connections(@Option(names = "steps", defaultValue = "1000,5000,10000", split = ",", description = "connection counts" + DEFAULT)
                   List<Integer> steps) throws Exception {
    ConnectionsBench.run(steps);
  }

  @Command(name = "presence", description = "A room's presence: members one by one, and a join and reconnect storm.")
  void presence(@Option(names = "sequential", defaultValue = "100,300", split = ",", description = "members one after another" + DEFAULT)
                List<Integer> sequential,
                @Option(names = "storm", defaultValue = "1000,5000", split = ",", description = "members all at once" + DEFAULT)
                List<Integer> storm) throws Exception {
    PresenceBench.run(sequential, storm);
  }

  @Command(name = "chat", description = "Chat page to chat page latency, in two headless Chromium pages.")
  void chat(@Option(names = "messages", defaultValue = "200", description = "messages measured" + DEFAULT) int messages) throws Exception {
    ChatLatencyBench.run(messages);
  }

  @Command(name = "sensors", description = "Readings/s ingested and aggregate queries, beside the store's raw rate.")
  void sensors(@Option(names = "seconds", defaultValue = "10", description = "seconds per scenario" + DEFAULT) int seconds,
               @Option(names = "warmup", defaultValue = "20", description = "seconds of ingest before the first measured" + DEFAULT)
               int warmup,
               @Option(names = "readings", defaultValue = "1000000", description = "readings of the big device" + DEFAULT) int readings)
    throws Exception {
    SensorBench.run(seconds, warmup, readings);
  }

  @Command(name = "fleet", description = "Thousands of devices each sending one reading at a time over HTTP or MQTT: latency, CPU, lag.")
  void fleet(@Option(names = "devices", defaultValue = "2000", description = "devices" + DEFAULT) int devices,
             @Option(names = "rate", defaultValue = "1", description = "readings per device per second" + DEFAULT) double rate,
             @Option(names = "seconds", defaultValue = "30", description = "seconds measured" + DEFAULT) int seconds,
             @Option(names = "warmup", defaultValue = "60", description = "warm-up seconds" + DEFAULT) int warmup,
             @Option(names = "ramp", defaultValue = "30", description = "seconds over which the devices join, within the warm-up"
               + DEFAULT) int ramp,
             @Option(names = "protocol", defaultValue = "http", description = "http or mqtt" + DEFAULT) String protocol)
    throws Exception {
    FleetBench.run(devices, rate, seconds, warmup, ramp, protocol);
  }

  @Command(name = "cluster", description = "Cluster formation, latencies across nodes, and failover, with real JVMs.")
  void cluster(@Option(names = "samples", defaultValue = "500", description = "samples per latency; 0: failover only" + DEFAULT) int samples)
    throws Exception {
    ClusterBench.run(samples);
  }

  @Command(name = "report", description = "Charts (PNG) of results: the given files, or the latest of each scenario.")
  void report(@Parameters(arity = "0..*", description = "result files (JSON)") List<Path> files) throws Exception {
    Report.run(files == null ? List.of() : files);
  }

  @Command(name = "devices", description = "Simulated greenhouse devices sending readings to a running Hubbub.")
  int devices(@Option(names = "--url", defaultValue = "http://localhost:8080", description = "Hubbub's URL" + DEFAULT) String url,
              @Option(names = "--user", defaultValue = "admin", description = "an admin's user name" + DEFAULT) String user,
              @Option(names = "--password", required = true, defaultValue = "${env:HUBBUB_ADMIN_PASSWORD}",
                description = "the admin's password (default: $HUBBUB_ADMIN_PASSWORD)") String password,
              @Option(names = "--devices", defaultValue = "5", description = "devices" + DEFAULT) int devices,
              @Option(names = "--rate", defaultValue = "1", description = "readings of each kind per device per second" + DEFAULT) double rate,
              @Option(names = "--seconds", defaultValue = "0", description = "how long; 0: until stopped" + DEFAULT) int seconds,
              @Option(names = "--protocol", defaultValue = "http", description = "http or mqtt" + DEFAULT) String protocol,
              @Option(names = "--mqtt-port", defaultValue = "1883", description = "Hubbub's MQTT port (--protocol mqtt)" + DEFAULT)
              int mqttPort)
    throws InterruptedException {
    if (!protocol.equals("http") && !protocol.equals("mqtt")) {
      System.err.println("simulator: --protocol is http or mqtt, not '" + protocol + "'");
      return 2;
    }
    java.net.URI uri = java.net.URI.create(url);
    try (MqttDevices mqtt = protocol.equals("mqtt") ? new MqttDevices(uri.getHost(), mqttPort, "https".equals(uri.getScheme())) : null) {
      new DeviceSimulator(url).run(user, password, devices, rate, seconds, mqtt);
      return 0;
    } catch (DeviceSimulator.Refused e) {
      System.err.println("simulator: " + e.getMessage());
      return 1;
    }
  }
}
