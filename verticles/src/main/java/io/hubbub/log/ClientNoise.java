package io.hubbub.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.hubbub.bus.EventRules;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Keeps what clients cause out of the log but for one line a window. Libraries that face clients log
 * each bad frame, oversize message or dropped connection at WARN or ERROR, often with a stack trace
 * (the SockJS bridge; the embedded store's wire handler, which also prints the command it refused).
 * For the loggers named in {@code logback.xml}, the first such line of each window is written as one
 * short line without stack trace, with how many more the previous window had; the rest are dropped.
 * A disconnect (a connection reset or closed by the client, which those libraries log as an error) is
 * written at DEBUG and counts for nothing.
 *
 * <p>A client-facing library that throws instead of logging (the SockJS session given {@code [null]} as its
 * frames) reaches the log as Vert.x's "Unhandled exception", a stack trace a request. For the loggers named
 * {@code unhandled}, such a line counts as the library's when the exception was thrown in it: the first frame of its
 * stack outside the JDK, Vert.x core and Netty is in one of the loggers' packages above. One thrown in Hubbub's own
 * code, or anywhere else, is left as it is.
 *
 * <p>A connection with no exception handler has its errors logged by Vert.x core ({@code ConnectionBase}) as one
 * line each, the exception's message alone: vertx-mqtt sets its handler only after CONNECT, so every connection
 * whose first bytes its decoder refuses was such a line. For the loggers named {@code connection}, a line counts as a
 * source's when that source's code is on the way to it: the first frame of the logging thread's own stack outside
 * the JDK, Vert.x core, Netty and logging is in one of the packages above. The cluster's connections, all Vert.x
 * core's, are left as they are.
 */
public final class ClientNoise extends TurboFilter {

  private static final int MAX_TEXT = 200;
  private static final Pattern CONTROL = Pattern.compile("[\\x00-\\x1f\\x7f]");

  private final List<String> sources = new ArrayList<>();
  private final List<String> unhandled = new ArrayList<>();
  private final List<String> connections = new ArrayList<>();
  private long windowMs = 60_000;
  private final Map<String, long[]> windows = new HashMap<>(); // source → {window start, lines in it}

  /** A logger (or a prefix of logger names) whose WARN and ERROR lines are client-caused. */
  public void addLogger(String name) {
    sources.add(name.trim());
  }

  /** A logger that reports exceptions no handler caught ({@code io.vertx.core.impl.ContextImpl}). */
  public void addUnhandled(String name) {
    unhandled.add(name.trim());
  }

  /** A logger that reports a connection's error no handler took ({@code io.vertx.core.net.impl.ConnectionBase}). */
  public void addConnection(String name) {
    connections.add(name.trim());
  }

  public void setWindowSeconds(int seconds) {
    this.windowMs = seconds * 1_000L;
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level == null || !level.isGreaterOrEqual(Level.WARN) || logger == null) {
      return FilterReply.NEUTRAL;
    }
    Throwable thrown = t != null ? t : MessageFormatter.getThrowableCandidate(params);
    String where = logger.getName();
    String source = source(where);
    if (source == null && unhandled.contains(where)) {
      where = thrownIn(thrown);
      source = where == null ? null : source(where);
    } else if (source == null && connections.contains(where)) {
      where = calledFrom();
      source = where == null ? null : source(where);
    }
    if (source == null) {
      return FilterReply.NEUTRAL;
    }
    Logger out = logger.getLoggerContext().getLogger(ClientNoise.class); // this filter's own lines, in the same context
    if (isDisconnect(thrown)) {
      // a browser that closes its tab or loses its network: normal life, not an error
      out.debug("client disconnected [source: {}, error: {}]", where, clip(String.valueOf(thrown.getMessage())));
      return FilterReply.DENY;
    }
    long now = System.currentTimeMillis();
    long previous;
    synchronized (windows) {
      long[] window = windows.computeIfAbsent(source, s -> new long[] {0, 0});
      if (now - window[0] < windowMs) {
        window[1]++;
        return FilterReply.DENY;
      }
      previous = Math.max(0, window[1] - 1);
      window[0] = now;
      window[1] = 1;
    }
    // the message without its arguments: those may be whole documents a client sent or the store refused
    String text = format;
    out.warn("client-caused [source: {}, level: {}, message: {}{}]{}", where, level, clip(text),
      thrown == null ? "" : ", error: " + clip(thrown.getClass().getSimpleName() + ": " + thrown.getMessage()),
      previous > 0 ? " (" + previous + " more like it in the last " + windowMs / 1_000 + " s)" : "");
    return FilterReply.DENY;
  }

  /** A connection the other end closed or reset: what a normal disconnect looks like to the socket. */
  static boolean isDisconnect(Throwable thrown) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof java.nio.channels.ClosedChannelException) {
        return true;
      }
      String message = String.valueOf(t.getMessage());
      if ((t instanceof java.io.IOException && (message.contains("Connection reset") || message.contains("Broken pipe")))
        || message.equals("Connection was closed")) {
        return true;
      }
    }
    return false;
  }

  /** The class an exception was thrown in, past the JDK, Vert.x core and Netty it went through; null if none. */
  static String thrownIn(Throwable thrown) {
    if (thrown == null) {
      return null;
    }
    for (StackTraceElement frame : thrown.getStackTrace()) {
      String type = frame.getClassName();
      if (!isPlumbing(type)) {
        return type;
      }
    }
    return null;
  }

  /** The class whose code led to the logging call now under way, past the plumbing and logging on the way; null if none. */
  static String calledFrom() {
    return StackWalker.getInstance().walk(frames -> frames.map(StackWalker.StackFrame::getClassName)
      .filter(type -> !isPlumbing(type) && !type.startsWith("ch.qos.logback.") && !type.startsWith("org.slf4j.")
        && !type.startsWith(ClientNoise.class.getPackageName() + "."))
      .findFirst().orElse(null));
  }

  /** The JDK, Vert.x core and Netty: what every connection's bytes and every exception go through. */
  private static boolean isPlumbing(String type) {
    return type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.")
      || type.startsWith("io.vertx.core.") || type.startsWith("io.netty.");
  }

  private String source(String logger) {
    for (String source : sources) {
      if (logger.startsWith(source)) {
        return source;
      }
    }
    return null;
  }

  /** Short, one line, no control characters: a client chose part of this text. */
  private static String clip(String text) {
    return CONTROL.matcher(EventRules.clip(text, MAX_TEXT)).replaceAll(" ");
  }
}
