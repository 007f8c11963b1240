package io.hubbub.bench;

import java.util.Arrays;
import java.util.Map;

/**
 * One command per scenario: {@code java -jar bench/target/hubbub-bench.jar <scenario> [key=value ...]},
 * run from the repository root after {@code mvn -B -q -DskipTests package}. See bench/README.md.
 */
public final class Bench {

  private interface Main {
    void run(String[] args) throws Exception;
  }

  private static final Map<String, Main> SCENARIOS = Map.of(
    "append", AppendBench::main,
    "fanout", FanoutBench::main,
    "peer", args -> FanoutBench.main(prepend("targets=hubbub,socketio", args)),
    "catchup", CatchupBench::main,
    "connections", ConnectionsBench::main,
    "report", Report::main);

  public static void main(String[] args) throws Exception {
    Main scenario = args.length == 0 ? null : SCENARIOS.get(args[0]);
    if (scenario == null) {
      System.err.println("usage: java -jar bench/target/hubbub-bench.jar <" + String.join("|", SCENARIOS.keySet().stream().sorted().toList())
        + "> [key=value ...]   (see bench/README.md)");
      System.exit(2);
    }
    scenario.run(Arrays.copyOfRange(args, 1, args.length));
    System.exit(0);
  }

  /** A default the caller's own arguments override (the last value of a key wins). */
  private static String[] prepend(String first, String[] args) {
    String[] all = new String[args.length + 1];
    all[0] = first;
    System.arraycopy(args, 0, all, 1, args.length);
    return all;
  }
}
