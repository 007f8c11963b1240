package io.hubbub.gateway;

import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.Streams;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Live over plain HTTP: {@code GET /api/streams/{s}/live} as Server-Sent Events, for {@code EventSource},
 * {@code curl -N} and services that do not speak the bridge. Each event goes out as {@code id: <seq>},
 * {@code event: <type>}, {@code data: <event JSON>}; the stream starts after the {@code Last-Event-ID} header
 * (what {@code EventSource} sends when it reconnects), else after {@code ?after=SEQ}, else with new events only.
 *
 * <p>Gapless: the stream's live consumer is registered before anything is read, so every event is either in a
 * read or arrives live. Live events are written while each is the one after the last sent; otherwise (a gap, a
 * start from an older seq, a reader that fell behind) the missing events are read from storage, page by page,
 * and live events met meanwhile are read too. A slow reader costs the server its connection's write queue and
 * one page: while the queue is full nothing more is written, and once it drains, what was skipped is read
 * (unlike the bridge, no event is left to the client to fetch).
 *
 * <p>A comment line every {@value #HEARTBEAT_MS} ms (or half the idle timeout, if shorter) keeps proxies and
 * the server's idle timeout from closing a quiet stream, and checks the reader's session: a stream whose token
 * was revoked (logout, a device's key) or expired ends. Used on the gateway verticle's event loop only.
 */
final class LiveHttp {

  static final long HEARTBEAT_MS = 15_000;
  /** How soon a catch-up read refused for load (429, 503) is tried again. */
  private static final long RETRY_MS = 1_000;
  private static final Buffer HEARTBEAT = Buffer.buffer(": keep-alive\n\n");

  private final Vertx vertx;
  private final Principals principals;
  private final StreamAccess streams;
  private final long heartbeatMs;
  /** Streams one principal may have open on this gateway at once ({@code limits.liveStreams}; more: 429). */
  private final int perPrincipal;
  private final Map<String, Integer> openBy = new HashMap<>();
  /** One event-bus consumer per stream followed here, shared by its readers. */
  private final Map<String, Feed> feeds = new HashMap<>();
  private final Set<Reader> readers = new LinkedHashSet<>();
  private final TokenSockets<Reader> byToken = new TokenSockets<>();
  private long heartbeat = -1;
  private final Counter behind;

  LiveHttp(Vertx vertx, Principals principals, StreamAccess streams, int idleTimeoutSeconds, int perPrincipal,
           MeterRegistry registry) {
    this.vertx = vertx;
    this.perPrincipal = perPrincipal;
    this.principals = principals;
    this.streams = streams;
    this.heartbeatMs = Math.min(HEARTBEAT_MS, idleTimeoutSeconds * 1_000L / 2);
    principals.onRevoked(token -> byToken.end(token).forEach(Reader::end));
    this.behind = Counter.builder("hubbub.live.http.behind")
      .description("Times a Server-Sent Events reader's write queue filled (what it skipped is read for it)").register(registry);
    Gauge.builder("hubbub.live.http.open", readers, Set::size).tag("verticle", io.hubbub.Node.meterInstance("gateway"))
      .description("Server-Sent Events streams open").register(registry);
  }

  void mount(Router router) {
    router.get("/api/streams/:stream/live").handler(this::open);
  }

  /** Ends every stream (a stop): readers reconnect elsewhere with their Last-Event-ID. Answers how many. */
  int closeAll() {
    List<Reader> open = List.copyOf(readers);
    open.forEach(Reader::end);
    return open.size();
  }

  private void open(RoutingContext ctx) {
    String stream = ctx.pathParam("stream");
    Long after = after(ctx);
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    String queryToken = ctx.queryParams().get("access_token");
    String authorization = header != null || queryToken == null ? header : Principals.BEARER + queryToken;
    Future<JsonObject> principal = header != null || queryToken == null
      ? Future.succeededFuture(HttpApi.principal(ctx)) : principals.resolve(authorization);
    if (!Streams.isValidName(stream)) {
      throw Failures.badRequest(Streams.notAName(stream));
    }
    principal.compose(who -> {
      String holder = who == null ? "address:" + ctx.request().remoteAddress().hostAddress() : Principals.key(who);
      if (openBy.getOrDefault(holder, 0) >= perPrincipal) {
        throw Failures.of(Failures.RATE_LIMITED, "at most " + perPrincipal
          + " live streams open at once per principal: close one first (or follow several streams over the bridge)");
      }
      openBy.merge(holder, 1, Integer::sum);
      Reader reader = new Reader(ctx.response(), who, holder, Principals.token(authorization), stream);
      // the consumer first: whatever is stored from now on arrives live, whatever was before is read
      return feed(stream, reader)
        .compose(registered -> streams.meta(who, stream))
        .map(info -> {
          long lastSeq = info.getLong("lastSeq", 0L);
          if (after != null && after > lastSeq) {
            throw Failures.badRequest("the stream's last seq is " + lastSeq + ": there is nothing after " + after);
          }
          reader.start(after, lastSeq);
          return reader;
        })
        .onFailure(failure -> reader.leave());
    }).onFailure(failure -> HttpApi.fail(ctx, failure));
  }

  /** Where to start: after {@code Last-Event-ID}, else {@code ?after=}, else null (new events only). */
  private static Long after(RoutingContext ctx) {
    String lastEventId = ctx.request().getHeader("Last-Event-ID");
    if (lastEventId != null && !lastEventId.isBlank()) {
      try {
        long seq = Long.parseLong(lastEventId.trim());
        if (seq >= 0) {
          return seq;
        }
      } catch (NumberFormatException ignored) {
        // answered below
      }
      throw Failures.badRequest("'Last-Event-ID' must be the seq of the last event received (an integer from 0)");
    }
    return ctx.queryParams().contains("after") ? HttpApi.queryLong(ctx, "after", 0, 0, Long.MAX_VALUE) : null;
  }

  private Future<Void> feed(String stream, Reader reader) {
    Feed feed = feeds.computeIfAbsent(stream, s -> new Feed(vertx.eventBus().consumer(Streams.liveAddress(s),
      message -> Streams.eachLive(message.body(), event -> deliver(s, event)))));
    feed.readers.add(reader);
    return feed.consumer.completion();
  }

  private void deliver(String stream, JsonObject event) {
    Feed feed = feeds.get(stream);
    if (feed == null) {
      return;
    }
    Buffer frame = frame(event); // encoded once for every reader of the stream
    for (Reader reader : List.copyOf(feed.readers)) {
      reader.live(event.getLong("seq", 0L), frame);
    }
  }

  /** An event as Server-Sent Events lines: its seq is the id a reconnecting client sends back. */
  static Buffer frame(JsonObject event) {
    String text = "id: " + event.getLong("seq") + "\nevent: " + event.getString("type") + "\ndata: " + event.encode() + "\n\n";
    return Buffer.buffer(text.getBytes(StandardCharsets.UTF_8));
  }

  private void heartbeat() {
    for (Reader reader : List.copyOf(readers)) {
      reader.beat();
    }
  }

  /** The live consumer of one stream on this gateway, and its readers. */
  private static final class Feed {
    final MessageConsumer<Object> consumer;
    final Set<Reader> readers = new LinkedHashSet<>();

    Feed(MessageConsumer<Object> consumer) {
      this.consumer = consumer;
    }
  }

  /** One open stream: what was sent, and whether it is reading what it has not been sent. */
  private final class Reader {
    final HttpServerResponse response;
    final JsonObject principal;
    /** Whose stream it is, as counted against {@code limits.liveStreams}. */
    final String holder;
    final String token;
    final String stream;
    /** The seq of the last event written (or the point the stream started after). */
    long sent;
    /** The highest seq that arrived live: a catch-up that ends below it reads again. */
    long seenLive;
    /** Reading from storage what it has not been sent; live events wait for that. */
    boolean catchingUp;
    /** The connection's write queue is full: nothing more is written until it drains. */
    boolean full;
    boolean ended;

    Reader(HttpServerResponse response, JsonObject principal, String holder, String token, String stream) {
      this.response = response;
      this.principal = principal;
      this.holder = holder;
      this.token = token;
      this.stream = stream;
    }

    void start(Long after, long lastSeq) {
      if (response.closed()) {
        leave();
        return;
      }
      readers.add(this);
      if (token != null) {
        byToken.add(token, this);
      }
      if (heartbeat < 0) {
        heartbeat = vertx.setPeriodic(heartbeatMs, id -> heartbeat());
      }
      response.setStatusCode(200).setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY) // gzip would hold events back
        .putHeader("X-Accel-Buffering", "no"); // a proxy in front must not hold the stream back
      response.closeHandler(v -> leave());
      response.exceptionHandler(e -> leave());
      response.write(": following " + stream + "\nretry: 2000\n\n");
      sent = after == null ? lastSeq : after;
      if (sent < Math.max(lastSeq, seenLive)) {
        catchUp();
      }
    }

    void live(long seq, Buffer frame) {
      seenLive = Math.max(seenLive, seq);
      if (ended || catchingUp || full || seq <= sent || !readers.contains(this)) {
        return; // already sent, or read later
      }
      if (seq != sent + 1) {
        catchUp(); // a gap: read it
        return;
      }
      write(seq, frame);
    }

    private void write(long seq, Buffer frame) {
      response.write(frame);
      sent = seq;
      if (response.writeQueueFull()) {
        waitForDrain();
      }
    }

    /** Nothing more is written until the connection drains; then what went past meanwhile is read. */
    private void waitForDrain() {
      full = true;
      behind.increment();
      response.drainHandler(v -> {
        full = false;
        catchUp();
      });
    }

    private void catchUp() {
      if (ended || catchingUp || full) {
        return;
      }
      catchingUp = true;
      read(sent + 1);
    }

    private void read(long from) {
      streams.read(principal, stream, from, StorageBus.MAX_READ_LIMIT).onComplete(done -> {
        if (ended) {
          return;
        }
        if (done.failed()) {
          int code = Failures.code(done.cause());
          if (code == Failures.RATE_LIMITED || code == Failures.UNAVAILABLE) {
            vertx.setTimer(RETRY_MS, t -> {
              if (!ended) {
                read(sent + 1);
              }
            });
          } else {
            // no longer allowed, or broken: the client reconnects with its Last-Event-ID and is answered why
            response.write(": ended: " + Failures.message(done.cause()).replace('\n', ' ') + "\n\n");
            end();
          }
          return;
        }
        JsonObject page = done.result().toJson();
        JsonArray events = page.getJsonArray("events", new JsonArray());
        for (int i = 0; i < events.size(); i++) {
          JsonObject event = events.getJsonObject(i);
          long seq = event.getLong("seq");
          if (seq > sent) {
            response.write(frame(event));
            sent = seq;
          }
        }
        long next = page.getLong("next", sent + 1);
        if (events.isEmpty()) {
          sent = Math.max(sent, next - 1); // nothing held below next (truncated history)
        }
        boolean caughtUp = sent >= page.getLong("lastSeq", sent);
        if (response.writeQueueFull()) {
          catchingUp = false;
          waitForDrain();
        } else if (!caughtUp) {
          read(Math.max(next, sent + 1));
        } else {
          catchingUp = false;
          if (seenLive > sent) {
            catchUp(); // stored while this page was read
          }
        }
      });
    }

    /** A comment line; and the session is looked at again (it may have ended). */
    void beat() {
      if (!full) {
        response.write(HEARTBEAT);
      }
      if (token != null) {
        principals.resolve(Principals.BEARER + token).onFailure(failure -> {
          if (Failures.code(failure) == Failures.UNAUTHORIZED) {
            end();
          }
        });
      }
    }

    /** Ends the response (the client's EventSource reconnects, and its session decides what it gets). */
    void end() {
      if (!ended && !response.ended()) {
        response.end();
      }
      leave();
    }

    void leave() {
      if (ended) {
        return;
      }
      ended = true;
      readers.remove(this);
      openBy.computeIfPresent(holder, (k, n) -> n == 1 ? null : n - 1);
      if (token != null) {
        byToken.remove(this, Set.of(token));
      }
      Feed feed = feeds.get(stream);
      if (feed != null && feed.readers.remove(this) && feed.readers.isEmpty()) {
        feeds.remove(stream);
        feed.consumer.unregister();
      }
      if (readers.isEmpty() && heartbeat >= 0) {
        vertx.cancelTimer(heartbeat);
        heartbeat = -1;
      }
    }
  }
}
