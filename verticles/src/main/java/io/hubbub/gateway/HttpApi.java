package io.hubbub.gateway;

import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Caller;
import io.hubbub.bus.ChatBus;
import io.hubbub.bus.Contract;
import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The HTTP API of PROTOCOL.md: JSON in and out, errors as {@code {"error": {code, message}}}. */
record HttpApi(Vertx vertx, Principals principals, StreamAccess streams, LiveHttp live, long timeoutMs) {

  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  private static final String PRINCIPAL = "hubbub.principal";

  void mount(Router router, long maxBodyBytes) {
    router.route("/api/*").handler(HttpApi::contentType);
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    router.route("/api/*").handler(this::authenticate);
    // first: publishes and devices' readings are most of the requests, and vert.x-web runs each route's path
    // pattern in turn (a regex matcher for each route with a parameter) before it looks at the method
    router.post("/api/streams/:stream/events").handler(this::publish);
    new SensorsApi(vertx, streams, timeoutMs).mount(router);
    router.post("/api/users").handler(ctx -> reply(ctx, 201, login(AuthBus.REGISTER, ctx)));
    router.post("/api/sessions").handler(ctx -> reply(ctx, 201, login(AuthBus.LOGIN, ctx)));
    router.delete("/api/sessions/current").handler(this::logout);
    router.delete("/api/users/:username").handler(this::deleteUser);
    router.delete("/api/rooms/:room").handler(this::deleteRoom);
    router.get("/api/streams/:stream/events").handler(this::read);
    live.mount(router);
    router.get(OpenApiDoc.PATH).handler(new OpenApiDoc());
    router.post("/api/streams/:stream/truncate").handler(ctx ->
      reply(ctx, 200, streams.truncate(principal(ctx), ctx.pathParam("stream"), () -> jsonBody(ctx))));
    router.get("/api/streams/:stream").handler(ctx ->
      reply(ctx, 200, streams.meta(principal(ctx), ctx.pathParam("stream"))));
    router.route("/api/*").handler(ctx -> fail(ctx, Failures.of(Failures.NOT_FOUND, "no such resource")));
    router.route("/api/*").failureHandler(this::failed);
  }

  /**
   * Every body of the API is JSON, whatever the client called it: curl's {@code -d} says it is a form, and is
   * read as JSON (a form decoder would refuse large bodies). A multipart body is not JSON: 415.
   */
  private static void contentType(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null) {
      String lower = type.toLowerCase(Locale.ROOT);
      if (lower.startsWith("multipart/")) {
        error(ctx, 415, "the body must be JSON (Content-Type: application/json)");
        return;
      }
      if (lower.startsWith("application/x-www-form-urlencoded")) {
        ctx.request().headers().set(HttpHeaders.CONTENT_TYPE, "application/json");
      }
    }
    ctx.next();
  }

  /** Resolves the bearer token once per request; a bad token is 401 even where none is needed. */
  private void authenticate(RoutingContext ctx) {
    principals.resolve(ctx.request().getHeader(HttpHeaders.AUTHORIZATION))
      .onSuccess(principal -> {
        if (principal != null) {
          ctx.put(PRINCIPAL, principal);
        }
        ctx.next();
      })
      .onFailure(failure -> fail(ctx, failure));
  }

  private void logout(RoutingContext ctx) {
    if (principal(ctx) == null) {
      fail(ctx, Failures.of(Failures.UNAUTHORIZED, "authentication required"));
      return;
    }
    String token = Principals.token(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
    AuthBus.LOGOUT.request(vertx.eventBus(), new AuthBus.Token(token), timeoutMs)
      .onSuccess(v -> ctx.response().setStatusCode(204).end())
      .onFailure(failure -> fail(ctx, failure));
  }

  /** An admin deletes any user but those the conf names; a user deletes themselves. */
  private void deleteUser(RoutingContext ctx) {
    JsonObject principal = principal(ctx);
    String username = ctx.pathParam("username");
    if (principal == null) {
      throw Failures.of(Failures.UNAUTHORIZED, "authentication required");
    }
    boolean self = AuthBus.KIND_USER.equals(principal.getString("kind")) && username.equals(principal.getString("name"));
    if (!self && !principal.getBoolean("admin", false)) {
      throw Failures.of(Failures.FORBIDDEN, "only an admin or the user deletes a user");
    }
    noContent(ctx, AuthBus.USER_DELETE.request(vertx.eventBus(), new AuthBus.UserRemoval(username, principal.getString("name")),
      timeoutMs));
  }

  /** A room and its history, deleted by an admin or its creator (chat checks which). */
  private void deleteRoom(RoutingContext ctx) {
    JsonObject principal = principal(ctx);
    if (principal == null) {
      throw Failures.of(Failures.UNAUTHORIZED, "authentication required");
    }
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs);
    Caller.headers(principal).forEach(header -> options.addHeader(header.getKey(), (String) header.getValue()));
    noContent(ctx, ChatBus.DELETE_ROOM.request(vertx.eventBus(), new ChatBus.RoomKey(ctx.pathParam("room")), options));
  }

  private static void noContent(RoutingContext ctx, Future<?> result) {
    result.onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(failure -> fail(ctx, failure));
  }

  private void publish(RoutingContext ctx) {
    Object body = jsonBody(ctx);
    String stream = ctx.pathParam("stream");
    if (body instanceof JsonArray array) {
      reply(ctx, 201, streams.publish(principal(ctx), stream, array.stream().toList(), Set.of())
        .map(StorageBus.Appended::toJsonBuffer));
    } else {
      reply(ctx, 201, streams.publish(principal(ctx), stream, List.of(body), Set.of()).map(r -> r.first().toJson()));
    }
  }

  private void read(RoutingContext ctx) {
    long from = queryLong(ctx, "from", 1, 0, Long.MAX_VALUE);
    long limit = queryLong(ctx, "limit", StorageBus.DEFAULT_READ_LIMIT, 1, StorageBus.MAX_READ_LIMIT);
    reply(ctx, 200, streams.read(principal(ctx), ctx.pathParam("stream"), from, (int) limit).map(StorageBus.Page::json));
  }

  private static AuthBus.Credentials credentials(RoutingContext ctx) {
    if (!(jsonBody(ctx) instanceof JsonObject body)) {
      throw Failures.badRequest("expected a JSON object {username, password}");
    }
    if (!(body.getValue("username") instanceof String username) || !(body.getValue("password") instanceof String password)) {
      throw Failures.badRequest("'username' and 'password' must be strings");
    }
    return new AuthBus.Credentials(username, password, ctx.request().remoteAddress().hostAddress());
  }

  /**
   * A sign-up or login: auth throttles by name and remote address and may queue the hash, so the answer is
   * waited for longer than other calls; a 429 says when to come back.
   */
  private Future<JsonObject> login(Contract<AuthBus.Credentials, JsonObject> contract, RoutingContext ctx) {
    return contract.request(vertx.eventBus(), credentials(ctx), timeoutMs * AuthBus.TIMEOUTS_PER_LOGIN)
      .onFailure(failure -> {
        if (Failures.code(failure) == Failures.RATE_LIMITED) {
          ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(AuthBus.retryAfter(failure.getMessage())));
        }
      });
  }

  static Object jsonBody(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw Failures.badRequest("a JSON body is required");
    }
    try {
      Object value = Json.decodeValue(body);
      if (!(value instanceof JsonObject) && !(value instanceof JsonArray)) {
        throw Failures.badRequest("the body must be a JSON object or array");
      }
      return value;
    } catch (DecodeException e) {
      throw Failures.badRequest("the body is not valid JSON");
    }
  }

  static long queryLong(RoutingContext ctx, String name, long fallback, long min, long max) {
    String value = ctx.queryParams().get(name);
    if (value == null) {
      return fallback;
    }
    try {
      long n = Long.parseLong(value);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // answered below
    }
    throw Failures.badRequest("'" + name + "' must be an integer between " + min + " and " + max);
  }

  /** The principal when it is an admin's: 401 when there is none, 403 (saying {@code refusal}) for anyone else. */
  static JsonObject admin(JsonObject principal, String refusal) {
    if (principal == null) {
      throw Failures.of(Failures.UNAUTHORIZED, "authentication required");
    }
    if (!principal.getBoolean("admin", false)) {
      throw Failures.of(Failures.FORBIDDEN, refusal);
    }
    return principal;
  }

  static JsonObject principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  /** Answers the result as JSON: a {@link Buffer} is JSON encoded already (a page, as storage encoded it) and goes as it is. */
  static void reply(RoutingContext ctx, int status, Future<?> result) {
    result
      .onSuccess(body -> ctx.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(body instanceof Buffer encoded ? encoded : Json.encodeToBuffer(body)))
      .onFailure(failure -> fail(ctx, failure));
  }

  /** Thrown validation failures land here through vert.x-web's failure routing. */
  private void failed(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure != null) {
      fail(ctx, failure);
    } else {
      int status = ctx.statusCode();
      String message = switch (status) {
        case 413 -> "the body is larger than this server accepts";
        case 404 -> "no such resource";
        case 405 -> "method not allowed";
        default -> status < 500 ? "bad request" : "internal error";
      };
      error(ctx, status, message);
    }
  }

  static void fail(RoutingContext ctx, Throwable failure) {
    int code = Failures.code(failure);
    AccessAudit.refused(ctx.vertx(), ctx.get(PRINCIPAL), ctx.request().remoteAddress(),
      ctx.request().method() + " " + ctx.normalizedPath(), failure);
    if (code == Failures.INTERNAL) {
      log.error("request failed [method: {}, path: {}]", ctx.request().method(), ctx.normalizedPath(), failure);
    }
    error(ctx, code, Failures.message(failure));
  }

  static void error(RoutingContext ctx, int code, String message) {
    if (ctx.response().ended()) {
      return;
    }
    if ((code == Failures.UNAVAILABLE || code == Failures.RATE_LIMITED) && !ctx.response().headers().contains(HttpHeaders.RETRY_AFTER)) {
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
    }
    JsonObject body = new JsonObject().put("error", new JsonObject().put("code", code).put("message", message));
    ctx.response()
      .setStatusCode(code)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .end(body.toBuffer());
  }
}
