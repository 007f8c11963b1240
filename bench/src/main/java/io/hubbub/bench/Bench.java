package io.hubbub.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * One command per scenario: {@code java -jar bench/target/hubbub-bench.jar <scenario> [key=value ...]}, run from
 * the repository root after {@code mvn -B -q -DskipTests package} (see bench/README.md). The options are written
 * {@code key=value}, as the results record them; {@code <scenario> --help} lists a scenario's options and defaults.
 */
@Command(name = "hubbub-bench", mixinStandardHelpOptions = true, subcommandsRepeatable = false,
  description = "Hubbub's benchmarks; each prints a table and writes its results under bench/results/.",
  subcommands = {Bench.Append.class, Bench.Fanout.class, Bench.Peer.class, Bench.Catchup.class, Bench.Connections.class,
    Bench.Chat.class, Bench.Sensors.class, Bench.Cluster.class, Bench.Charts.class, DeviceSimulator.Cli.class})
public final class Bench implements Callable<Integer> {

  @Override
  public Integer call() {
    CommandLine.usage(this, System.err);
    return 2;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Bench()).execute(args));
  }

  @Command(name = "append", mixinStandardHelpOptions = true,
    description = "Durable appends/s for 1, 16, 64, 256 publishers over HTTP and the bridge, beside the store's raw rate.")
  static final class Append implements Callable<Integer> {
    @Option(names = "seconds", defaultValue = "10", description = "seconds per scenario (default: ${DEFAULT-VALUE})")
    int seconds;
    @Option(names = "publishers", defaultValue = "1,16,64,256", split = ",", description = "publisher counts (default: ${DEFAULT-VALUE})")
    List<Integer> publishers;
    @Option(names = "sharedStreams", defaultValue = "4", description = "streams the many-publishers rows share (default: ${DEFAULT-VALUE})")
    int sharedStreams;

    @Override
    public Integer call() throws Exception {
      AppendBench.run(seconds, publishers, sharedStreams);
      return 0;
    }
  }

  /** {@code fanout} and {@code peer}: the same sweep, against Hubbub alone or Hubbub and Socket.IO. */
  abstract static class Sweep implements Callable<Integer> {
    @Option(names = "rooms", defaultValue = "10", description = "rooms (default: ${DEFAULT-VALUE})")
    int rooms;
    @Option(names = "subscribers", defaultValue = "20", description = "subscribers per room (default: ${DEFAULT-VALUE})")
    int subscribers;
    @Option(names = "seconds", defaultValue = "5", description = "seconds per rate (default: ${DEFAULT-VALUE})")
    int seconds;
    @Option(names = "warmup", defaultValue = "10", description = "warm-up seconds (default: ${DEFAULT-VALUE})")
    int warmup;
    @Option(names = "rates", defaultValue = "250,500,1000,2000,4000,8000", split = ",", description = "publishes/s offered (default: ${DEFAULT-VALUE})")
    List<Integer> rates;
    @Option(names = "compression", defaultValue = "off", description = "permessage-deflate: off, on or both (default: ${DEFAULT-VALUE})")
    String compression;
    @Option(names = "store", defaultValue = "off", description = "the Socket.IO peer stores each message too: on or off (default: ${DEFAULT-VALUE})")
    String store;
    @Option(names = "rounds", defaultValue = "1", description = "rounds of the whole sweep (default: ${DEFAULT-VALUE})")
    int rounds;
    @Option(names = "jfr", description = "a flight recording of the Hubbub server to this file")
    String jfr;

    abstract List<String> targets();

    @Override
    public Integer call() throws Exception {
      FanoutBench.run(new FanoutBench.Options(rooms, subscribers, seconds, warmup, rates, compression, targets(),
        "on".equals(store), rounds, jfr));
      return 0;
    }
  }

  @Command(name = "fanout", mixinStandardHelpOptions = true,
    description = "R rooms x M subscribers, publish-rate sweep up to saturation.")
  static final class Fanout extends Sweep {
    @Option(names = "targets", defaultValue = "hubbub", split = ",", description = "hubbub, socketio (default: ${DEFAULT-VALUE})")
    List<String> targets;

    @Override
    List<String> targets() {
      return targets;
    }
  }

  @Command(name = "peer", mixinStandardHelpOptions = true, description = "The fan-out sweep against Hubbub and Socket.IO 4, one after the other.")
  static final class Peer extends Sweep {
    @Option(names = "targets", defaultValue = "hubbub,socketio", split = ",", description = "hubbub, socketio (default: ${DEFAULT-VALUE})")
    List<String> targets;

    @Override
    List<String> targets() {
      return targets;
    }
  }

  @Command(name = "catchup", mixinStandardHelpOptions = true,
    description = "Reading events from seq 1 and from far into a long stream; disk per event.")
  static final class Catchup implements Callable<Integer> {
    @Option(names = "events", defaultValue = "1100000", description = "events in the stream (default: ${DEFAULT-VALUE})")
    long events;
    @Option(names = "read", defaultValue = "100000", description = "events read per measurement (default: ${DEFAULT-VALUE})")
    long read;

    @Override
    public Integer call() throws Exception {
      CatchupBench.run(events, read);
      return 0;
    }
  }

  @Command(name = "connections", mixinStandardHelpOptions = true, description = "Idle bridge WebSockets: heap and RSS per connection.")
  static final class Connections implements Callable<Integer> {
    @Option(names = "steps", defaultValue = "1000,5000,10000", split = ",", description = "connection counts (default: ${DEFAULT-VALUE})")
    List<Integer> steps;

    @Override
    public Integer call() throws Exception {
      ConnectionsBench.run(steps);
      return 0;
    }
  }

  @Command(name = "chat", mixinStandardHelpOptions = true, description = "Chat page to chat page latency, in two headless Chromium pages.")
  static final class Chat implements Callable<Integer> {
    @Option(names = "messages", defaultValue = "200", description = "messages measured (default: ${DEFAULT-VALUE})")
    int messages;

    @Override
    public Integer call() throws Exception {
      ChatLatencyBench.run(messages);
      return 0;
    }
  }

  @Command(name = "sensors", mixinStandardHelpOptions = true, description = "Readings/s ingested and aggregate queries, beside the store's raw rate.")
  static final class Sensors implements Callable<Integer> {
    @Option(names = "seconds", defaultValue = "10", description = "seconds per scenario (default: ${DEFAULT-VALUE})")
    int seconds;
    @Option(names = "readings", defaultValue = "1000000", description = "readings of the big device (default: ${DEFAULT-VALUE})")
    int readings;

    @Override
    public Integer call() throws Exception {
      SensorBench.run(seconds, readings);
      return 0;
    }
  }

  @Command(name = "cluster", mixinStandardHelpOptions = true, description = "Cluster formation, latencies across nodes, and failover, with real JVMs.")
  static final class Cluster implements Callable<Integer> {
    @Option(names = "samples", defaultValue = "500", description = "samples per latency; 0: failover only (default: ${DEFAULT-VALUE})")
    int samples;

    @Override
    public Integer call() throws Exception {
      ClusterBench.run(samples);
      return 0;
    }
  }

  @Command(name = "report", mixinStandardHelpOptions = true, description = "Charts (PNG) of results: the given files, or the latest of each scenario.")
  static final class Charts implements Callable<Integer> {
    @Parameters(description = "result files (JSON)")
    List<Path> files = List.of();

    @Override
    public Integer call() throws Exception {
      Report.run(files);
      return 0;
    }
  }
}
