package io.hubbub.launcher;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code cluster/local-cluster.sh}'s bookkeeping, run as an operator runs it, with its pid files in a folder of
 * this test's: it never starts over nodes that still run, and {@code stop} says which nodes it could not find.
 * (Starting a real local cluster takes the script's fixed ports: that is done by hand, see cluster/README.md.)
 */
class LocalClusterScriptIT {

  private static final Path SCRIPT = Path.of("..", "cluster", "local-cluster.sh");
  @TempDir
  Path run;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void tearDown() {
    started.forEach(p -> p.toHandle().destroyForcibly());
  }

  private record Result(int exit, String output) {
  }

  private Result script(String command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString(), command).redirectErrorStream(true);
    builder.environment().put("HUBBUB_LOCAL_RUN", run.toString());
    Process process = builder.start();
    started.add(process);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the script ends");
    return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  /** A process standing in for a node the script started earlier and that still runs. */
  private long running() throws Exception {
    Process sleeper = new ProcessBuilder("sleep", "60").start();
    started.add(sleeper);
    return sleeper.pid();
  }

  private static long exited() throws Exception {
    Process done = new ProcessBuilder("true").start();
    done.waitFor();
    return done.pid();
  }

  @Test
  void startRefusesWhileANodeItStartedStillRuns() throws Exception {
    long pid = running();
    Files.writeString(run.resolve("edge-1.pid"), Long.toString(pid));
    Result result = script("start");
    assertEquals(1, result.exit(), result.output());
    assertTrue(result.output().contains("edge-1 is already running (pid " + pid + ")"), result.output());
    assertFalse(result.output().contains("started "), "nothing started: " + result.output());
    assertEquals(Long.toString(pid), Files.readString(run.resolve("edge-1.pid")), "its pid file is kept");
  }

  @Test
  void stopSaysWhichNodesItCouldNotFind() throws Exception {
    long live = running();
    long gone = exited();
    Files.writeString(run.resolve("core.pid"), Long.toString(live));
    Files.writeString(run.resolve("edge-1.pid"), Long.toString(gone));
    Result result = script("stop");
    assertEquals(1, result.exit(), result.output());
    assertTrue(result.output().contains("edge-2: no pid file, not started by this script"), result.output());
    assertTrue(result.output().contains("edge-1: not running (no process " + gone + ")"), result.output());
    assertTrue(result.output().contains("stopping core (pid " + live + ")"), result.output());
    assertTrue(result.output().contains("stopped 1 of 3 nodes"), result.output());
  }
}
