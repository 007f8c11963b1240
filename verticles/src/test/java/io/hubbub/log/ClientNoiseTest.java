package io.hubbub.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The filter on its own logback context: what clients cause becomes one line a window, a disconnect a DEBUG line. */
class ClientNoiseTest {

  private final LoggerContext context = new LoggerContext();
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

  @BeforeEach
  void setUp() {
    ClientNoise filter = new ClientNoise();
    filter.addLogger("io.vertx.ext.web.handler.sockjs");
    filter.addUnhandled("io.vertx.core.impl.ContextImpl");
    filter.addConnection("io.vertx.core.net.impl.ConnectionBase");
    filter.setWindowSeconds(60);
    filter.setContext(context);
    filter.start();
    context.addTurboFilter(filter);
    lines.setContext(context);
    lines.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.DEBUG);
    root.addAppender(lines);
  }

  private Logger bridge() {
    return context.getLogger("io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl");
  }

  @Test
  void aClientThatResetsItsConnectionIsADebugLine() {
    bridge().error("SockJSSocket exception", new IOException("Connection reset by peer"));
    bridge().error("SockJSSocket exception", new RuntimeException("wrapped", new IOException("Broken pipe")));
    assertEquals(List.of(Level.DEBUG, Level.DEBUG), lines.list.stream().map(ILoggingEvent::getLevel).toList());
    assertTrue(lines.list.get(0).getFormattedMessage().startsWith("client disconnected"), lines.list.get(0).getFormattedMessage());
  }

  @Test
  void otherClientCausedErrorsAreOneShortLineAWindow() {
    for (int i = 0; i < 5; i++) {
      bridge().error("Invalid type in incoming message: {}", "x\n\u001b[31m", new IllegalStateException("bad frame"));
    }
    assertEquals(1, lines.list.size());
    ILoggingEvent line = lines.list.get(0);
    assertEquals(Level.WARN, line.getLevel());
    assertNull(line.getThrowableProxy(), "no stack trace");
    assertFalse(line.getFormattedMessage().contains("\n"));
  }

  private static RuntimeException thrownAt(RuntimeException e, String... classes) {
    e.setStackTrace(Arrays.stream(classes).map(c -> new StackTraceElement(c, "m", null, 1))
      .toArray(StackTraceElement[]::new));
    return e;
  }

  @Test
  void anUnhandledExceptionThrownInAClientFacingLibraryIsOneShortLineAWindow() {
    for (int i = 0; i < 5; i++) {
      context.getLogger("io.vertx.core.impl.ContextImpl").error("Unhandled exception", thrownAt(new NullPointerException("str is null"),
        "io.vertx.core.buffer.impl.BufferImpl", "io.vertx.core.buffer.Buffer", "io.vertx.ext.web.handler.sockjs.impl.SockJSSession",
        "io.vertx.core.internal.ContextInternal", "io.netty.util.concurrent.AbstractEventExecutor", "java.lang.Thread"));
    }
    assertEquals(1, lines.list.size(), () -> lines.list.toString());
    ILoggingEvent line = lines.list.get(0);
    assertEquals(Level.WARN, line.getLevel());
    assertNull(line.getThrowableProxy(), "no stack trace");
    assertTrue(line.getFormattedMessage().contains("io.vertx.ext.web.handler.sockjs.impl.SockJSSession"), line.getFormattedMessage());
  }

  @Test
  void anUnhandledExceptionThrownInHubbubOrElsewhereIsLeftAlone() {
    Logger unhandled = context.getLogger("io.vertx.core.impl.ContextImpl");
    unhandled.error("Unhandled exception", thrownAt(new IllegalStateException("a bug"),
      "io.vertx.core.json.JsonObject", "io.hubbub.gateway.Bridge", "io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl"));
    unhandled.error("Unhandled exception", thrownAt(new IllegalStateException("elsewhere"), "com.example.Library"));
    unhandled.error("Unhandled exception", new IllegalStateException("no frames") {
      @Override
      public synchronized Throwable fillInStackTrace() {
        return this;
      }
    });
    assertEquals(List.of(Level.ERROR, Level.ERROR, Level.ERROR), lines.list.stream().map(ILoggingEvent::getLevel).toList());
    assertTrue(lines.list.stream().allMatch(e -> e.getThrowableProxy() != null), "with their stack traces");
  }

  /** Logged here with no client-facing library's code on the way (MqttTest has vertx-mqtt's): the cluster's kind. */
  @Test
  void aConnectionErrorNoClientFacingLibraryLedToIsLeftAlone() {
    Logger connections = context.getLogger("io.vertx.core.net.impl.ConnectionBase");
    connections.error("Connection refused: 10.0.0.7/10.0.0.7:45701");
    connections.error("Connection refused: 10.0.0.7/10.0.0.7:45701");
    assertEquals(List.of(Level.ERROR, Level.ERROR), lines.list.stream().map(ILoggingEvent::getLevel).toList());
    assertEquals("Connection refused: 10.0.0.7/10.0.0.7:45701", lines.list.get(0).getFormattedMessage());
  }

  @Test
  void otherLoggersAreLeftAlone() {
    context.getLogger("io.hubbub.Main").error("real trouble", new IOException("Connection reset by peer"));
    assertEquals(Level.ERROR, lines.list.get(0).getLevel());
  }
}
