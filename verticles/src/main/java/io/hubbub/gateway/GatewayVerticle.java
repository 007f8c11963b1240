package io.hubbub.gateway;

import io.hubbub.StartupException;
import io.hubbub.bus.Consumers;
import io.hubbub.conf.HubbubConf;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The only code that faces the network: the HTTP API, the SockJS event-bus bridge, health, readiness
 * and metrics. Keeps no domain state, so any number of gateways can run on any nodes.
 */
public final class GatewayVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(GatewayVerticle.class);
  private static final long SHUTDOWN_GRACE_S = 5;
  private static final int WEBSOCKET_CLOSING_TIMEOUT_S = 1;
  /** The pages and their scripts, from the classpath; the browser libraries are under vendor/. */
  private static final String WEBROOT = "webroot";
  private static final long PAGE_MAX_AGE_S = 60;
  /** The browser libraries change only with Hubbub's version: browsers keep them a week. */
  private static final long VENDOR_MAX_AGE_S = 7 * 24 * 3600;
  /** Pages load only their own scripts and styles and talk only to their own origin: an injected tag runs nothing. */
  private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
  /** Where a gateway leaves the port it listens on, for tools in the same process (tests, benchmarks). */
  public static final String LOCAL_MAP = "hubbub.gateway";
  public static final String PORT_KEY = "port";
  /** Where a gateway leaves the port its MQTT listener listens on (when it has one). */
  public static final String MQTT_PORT_KEY = "mqttPort";
  /** The shared random ports ({@link #sharedPort}) of the HTTP and MQTT servers: one each, told apart by Vert.x. */
  static final int HTTP_RANDOM_PORT = 1;
  static final int MQTT_RANDOM_PORT = 2;
  private static final String SOCKJS_LIBRARY = "/vendor/sockjs.min.js";
  /** Where the event-bus bridge (SockJS and its raw WebSocket) is mounted. */
  static final String BRIDGE_PATH = "/eventbus";

  private Consumers consumers;
  private final HubbubConf conf;
  private HttpServer server;
  private Bridge bridge;
  private LiveHttp liveHttp;
  private Readiness readiness;
  private MqttListener mqtt;

  public GatewayVerticle(HubbubConf conf) {
    this.conf = conf;
  }

  @Override
  public Future<?> start() {
    HubbubConf.Http http = conf.http();
    HubbubConf.Limits limits = conf.limits();
    long timeoutMs = conf.mongo().busTimeoutMs();
    long maxBody = http.maxBodyBytes();

    Principals principals = new Principals(vertx, timeoutMs);
    StreamAccess streams = new StreamAccess(vertx, new Namespaces(conf.namespaces()), limits.maxDataBytes(), limits.maxBatch(),
      limits.readsInFlight(), conf.storage().partitions(), timeoutMs);
    LiveFanout live = new LiveFanout(vertx, limits.liveQueueBytes(), maxBody, io.hubbub.Node.registry());
    bridge = new Bridge(vertx, principals, streams, live, timeoutMs);
    consumers = new Consumers(vertx.eventBus());
    consumers.addAll(bridge.consumers());

    readiness = new Readiness(vertx, conf);
    Router router = Router.router(vertx);
    router.route().handler(new RequestTimeout(http.requestTimeoutSeconds()));
    CrossOrigin crossOrigin = CrossOrigin.of(http.corsOrigins());
    CrossOrigin.PATHS.forEach(path -> router.route(path).handler(crossOrigin));
    // HEAD wherever GET is: the same route answers, Vert.x leaves the body out for a HEAD request
    router.route().method(HttpMethod.HEAD).handler(ctx -> ctx.reroute(HttpMethod.GET, ctx.request().uri()));
    router.get("/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/ready").handler(this::ready);
    if (http.adminMetrics()) { // it names nodes and routes: for monitoring only
      router.get("/metrics").handler(ctx -> principals.resolve(ctx.request().getHeader(HttpHeaders.AUTHORIZATION))
        .map(principal -> HttpApi.admin(principal, "metrics are for admins"))
        .onSuccess(admin -> ctx.next())
        .onFailure(failure -> HttpApi.fail(ctx, failure)));
    }
    router.get("/metrics").handler(PrometheusScrapingHandler.create());
    liveHttp = new LiveHttp(vertx, principals, streams, http.idleTimeoutSeconds(), limits.liveStreams(),
      io.hubbub.Node.registry());
    new HttpApi(vertx, principals, streams, liveHttp, timeoutMs).mount(router, maxBody);
    router.post(BRIDGE_PATH + "/*").handler(BodyHandler.create(false).setBodyLimit(maxBody));
    router.post(BRIDGE_PATH + "/*").handler(GatewayVerticle::sentFramesReadable);
    // the SockJS iframe (old browsers' fallback) loads the client from this gateway, never from a CDN
    // SockJS's HTTP transports stream frames: gzip would hold them back (the WebSocket has its own deflate, off)
    router.route(BRIDGE_PATH + "/*").handler(GatewayVerticle::uncompressed);
    router.route(BRIDGE_PATH + "/*").subRouter(SockJSHandler.create(vertx, new SockJSHandlerOptions().setLibraryURL(SOCKJS_LIBRARY))
      .bridge(Bridge.options(timeoutMs), bridge::handle));
    router.get().handler(GatewayVerticle::pageHeaders);
    router.get("/sensors").handler(ctx -> ctx.reroute("/sensors.html"));
    router.get("/favicon.ico").handler(ctx -> ctx.reroute("/favicon.svg"));
    router.get("/vendor/*").handler(StaticHandler.create(WEBROOT + "/vendor").setMaxAgeSeconds(VENDOR_MAX_AGE_S));
    router.get().handler(StaticHandler.create(WEBROOT).setMaxAgeSeconds(PAGE_MAX_AGE_S));
    router.route().last().handler(ctx -> HttpApi.error(ctx, 404, "no such resource"));

    HttpServerOptions options = new HttpServerOptions()
      .setHost(http.host())
      .setPort(sharedPort(http.port(), HTTP_RANDOM_PORT))
      .setIdleTimeout(http.idleTimeoutSeconds())
      .setIdleTimeoutUnit(TimeUnit.SECONDS)
      // gzip for pages, scripts and JSON when the client asks for it; event streams opt out (Content-Encoding: identity)
      // (no size threshold: Vert.x sends a file's head before its bytes, and a threshold then leaves every file as it is)
      .setCompressionSupported(true)
      // a closed WebSocket whose client does not answer the close frame is dropped after this, not 10 s
      .setWebSocketClosingTimeout(WEBSOCKET_CLOSING_TIMEOUT_S)
      .setMaxWebSocketFrameSize((int) maxBody)
      .setMaxWebSocketMessageSize((int) maxBody)
      // off unless asked: deflating every frame for every socket halves the fan-out (bench/README.md)
      .setPerMessageWebSocketCompressionSupported(http.websocketCompression())
      .setPerFrameWebSocketCompressionSupported(http.websocketCompression())
      // every answer is written on its connection's event loop (handlers, bus replies and timers all run there), so
      // a connection needs no queue for writes from other threads: Netty's gives each one a 4 KB array up front,
      // which an idle bridge WebSocket keeps for its life (its upgrade request stays referenced by the SockJS session)
      .setStrictThreadMode(true);
    if (http.tls().enabled()) { // HTTPS and WSS on the same port
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(http.tls().cert()).setKeyPath(http.tls().key()));
    }
    return consumers.ready()
      .compose(v -> principals.ready())
      .compose(v -> bound(vertx.createHttpServer(options).connectionHandler(GatewayVerticle::consolidateFlushes).requestHandler(router)
        .listen(), http.host(), http.port()))
      .onSuccess(s -> {
        server = s;
        vertx.sharedData().getLocalMap(LOCAL_MAP).put(PORT_KEY, s.actualPort());
        log.info("gateway listening [port: {}]{}", s.actualPort(), options.isSsl() ? " (HTTPS and WSS)" : "");
      })
      .compose(s -> {
        if (!conf.mqtt().enabled()) {
          return Future.succeededFuture();
        }
        mqtt = new MqttListener(vertx, principals, streams, conf.mqtt());
        return bound(mqtt.listen(http.host(), http.tls()), http.host(), conf.mqtt().port())
          .onSuccess(m -> {
            vertx.sharedData().getLocalMap(LOCAL_MAP).put(MQTT_PORT_KEY, m.actualPort());
            log.info("mqtt listening [port: {}]{}", m.actualPort(), http.tls().enabled() ? " (MQTT over TLS)" : "");
          });
      });
  }

  /**
   * The port a server of this node listens on: port 0 becomes Vert.x's shared random port ({@code slot} negated), so
   * every gateway instance of the node serves the one free port the first of them takes, as they share a set port;
   * Vert.x gives each server on port 0 a port of its own, and all but one instance would then sit idle.
   */
  static int sharedPort(int port, int slot) {
    return port == 0 ? -slot : port;
  }

  /** A server listening, or the startup error that names the port when it is taken. */
  private static <T> Future<T> bound(Future<T> listening, String host, int port) {
    return listening.recover(failure -> Future.failedFuture(failure instanceof BindException
      ? StartupException.portTaken(host, port, failure) : failure));
  }

  /** Every connection gets {@link TurnFlush} (one flush per event-loop turn once it speaks WebSocket), just before Vert.x's own handler. */
  private static void consolidateFlushes(HttpConnection connection) {
    if (connection instanceof VertxConnection vertxConnection) { // Vert.x's internal connection: the only way to the pipeline
      ChannelHandlerContext handler = vertxConnection.channelHandlerContext();
      handler.pipeline().addBefore(handler.name(), TurnFlush.NAME, new TurnFlush());
    }
  }

  @Override
  public Future<?> stop() {
    // stop accepting, close the bridge's connections and end the live HTTP streams (they would hold the shutdown
    // for its whole grace),
    // give HTTP requests in flight a moment to get their answers, then close
    int sockets = bridge == null ? 0 : bridge.closeAll();
    if (sockets > 0) {
      log.info("closing bridge connections [count: {}]", sockets);
    }
    int followers = liveHttp == null ? 0 : liveHttp.closeAll();
    if (followers > 0) {
      log.info("ending live HTTP streams [count: {}]", followers);
    }
    Future<Void> closed = server == null ? Future.succeededFuture() : server.shutdown(SHUTDOWN_GRACE_S, TimeUnit.SECONDS);
    return Future.join(closed, mqtt == null ? Future.succeededFuture() : mqtt.close(), consumers.unregister());
  }

  /** Ready when storage answers a ping within a short time. */
  private void ready(RoutingContext ctx) {
    readiness.check().onComplete(done -> {
      JsonObject body = done.succeeded() ? done.result() : new JsonObject().put("status", "NOT_READY");
      if (!"READY".equals(body.getString("status"))) {
        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
        body.put("error", new JsonObject().put("code", 503).put("message", "storage or cluster unavailable"));
        json(ctx, 503, body);
      } else {
        json(ctx, 200, body);
      }
    });
  }

  /**
   * SockJS's sending transports ({@code xhr_send}, {@code jsonp_send}) hand each entry of the posted JSON array on
   * as one frame's text; an entry with no text (null, an object, an array) makes its session throw, on the request
   * or on the session's loop. Such a payload is answered as SockJS answers one it cannot read, nothing of it sent.
   */
  static void sentFramesReadable(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    boolean xhr = path.endsWith("/xhr_send");
    if ((!xhr && !path.endsWith("/jsonp_send")) || !ctx.body().available() || ctx.body().length() == 0) {
      ctx.next(); // not a send, or one SockJS refuses itself
      return;
    }
    String payload = ctx.body().asString();
    Object frames;
    try {
      if (!xhr && payload.startsWith("d=")) { // a form's field, as SockJS reads it
        payload = URLDecoder.decode(payload.substring(2), StandardCharsets.UTF_8);
      }
      frames = Json.decodeValue(payload);
    } catch (DecodeException | IllegalArgumentException unreadable) { // not JSON, or a broken %-escape
      ctx.next(); // SockJS answers it
      return;
    }
    if (frames instanceof JsonArray list
      && !list.stream().allMatch(f -> f instanceof String || f instanceof Number || f instanceof Boolean)) {
      ctx.response().setStatusCode(500).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=UTF-8")
        .end("Broken JSON encoding.");
      return;
    }
    ctx.next();
  }

  /** The response goes out uncompressed (Vert.x drops the header and skips gzip); not a WebSocket upgrade's. */
  static void uncompressed(RoutingContext ctx) {
    if (!"websocket".equalsIgnoreCase(ctx.request().getHeader(HttpHeaders.UPGRADE))) {
      ctx.response().putHeader(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY);
    }
    ctx.next();
  }

  private static void pageHeaders(RoutingContext ctx) {
    ctx.response()
      .putHeader("Content-Security-Policy", CSP)
      .putHeader("X-Content-Type-Options", "nosniff")
      .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.toBuffer());
  }
}
