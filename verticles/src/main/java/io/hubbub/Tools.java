package io.hubbub;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import io.hubbub.conf.Conf;
import io.hubbub.conf.ConfException;
import io.hubbub.conf.HubbubConf;
import io.hubbub.storage.DataTool;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ExecutionException;

/**
 * The data tools of {@code java -jar hubbub.jar <command>}, against the store of the conf ({@code HUBBUB_CONF} and
 * the environment, as for a node):
 * <ul>
 *   <li>{@code export [FILE]}: the whole store as JSON Lines, to the file or to stdout</li>
 *   <li>{@code import [FILE]}: an export read into the store (from stdin without a file), checked whole first</li>
 *   <li>{@code backup DIR}: an online, consistent backup of the embedded store into a new folder</li>
 *   <li>{@code restore DIR}: a backup put back as the embedded store (no node may run on it; what it replaces is kept)</li>
 * </ul>
 * Progress and a summary line go to stderr, and so does the log (stdout may be the export). Exit codes: 0 done,
 * 1 failed or left streams as they were, 2 a bad conf, file or command.
 */
final class Tools {

  private Tools() {
  }

  static int run(String[] args) {
    logToStderr();
    PrintStream err = System.err;
    String command = args[0];
    boolean folder = command.equals("backup") || command.equals("restore");
    if (!DataTool.COMMANDS.contains(command) || args.length > 2 || (folder && args.length != 2)) {
      err.println("hubbub: unknown command '" + String.join(" ", args) + "': use 'export [FILE]', 'import [FILE]', "
        + "'backup DIR' or 'restore DIR' (no arguments: run the node)");
      return 2;
    }
    HubbubConf conf;
    try {
      // the conf as a node reads it; no preflight: the tools open the store themselves, a node may run on it
      conf = Main.readConf(System.getenv().getOrDefault(Conf.CONF_VARIABLE, Conf.DEFAULT_FILE), false);
    } catch (Exception e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      err.println(cause instanceof ConfException ? "hubbub: bad conf: " + cause.getMessage()
        : "hubbub: cannot read the conf: " + cause.getMessage());
      return 2;
    }
    Path temporary = null;
    try {
      if (command.equals("backup")) {
        DataTool.backup(conf, Path.of(args[1]), err);
        return 0;
      }
      if (command.equals("restore")) {
        DataTool.restore(conf, Path.of(args[1]), err);
        return 0;
      }
      if (command.equals("export")) {
        if (args.length == 2) {
          try (var out = Files.newOutputStream(Path.of(args[1]))) {
            DataTool.exportTo(conf, out, err);
          }
        } else {
          DataTool.exportTo(conf, System.out, err);
          System.out.flush();
        }
        return 0;
      }
      Path file;
      if (args.length == 2) {
        file = Path.of(args[1]);
      } else {
        temporary = Files.createTempFile("hubbub-import", ".jsonl"); // read twice: checked whole, then written
        try (InputStream in = System.in) {
          Files.copy(in, temporary, StandardCopyOption.REPLACE_EXISTING);
        }
        file = temporary;
      }
      DataTool.Summary summary = DataTool.importFrom(conf, file, err);
      return summary.conflicts().isEmpty() ? 0 : 1;
    } catch (DataTool.BadLine e) {
      err.println("hubbub: import refused, nothing written: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      err.println("hubbub: " + command + " failed: " + e.getMessage());
      return 1;
    } finally {
      if (temporary != null) {
        try {
          Files.deleteIfExists(temporary);
        } catch (Exception ignored) {
          // a temporary file in the system's folder
        }
      }
    }
  }

  /** The console log to stderr: stdout carries what the tool writes. */
  private static void logToStderr() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context
      && context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("STDOUT") instanceof ConsoleAppender<ILoggingEvent> console) {
      console.stop();
      console.setTarget("System.err");
      console.start();
    }
  }
}
