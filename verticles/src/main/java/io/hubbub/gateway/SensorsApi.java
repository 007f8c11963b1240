package io.hubbub.gateway;

import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Failures;
import io.hubbub.bus.SensorsBus;
import io.hubbub.bus.StorageBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The devices and sensors rows of the HTTP API: admins register and revoke devices, a device posts its
 * own readings with its key, signed-in users list devices and read aggregates and status.
 */
record SensorsApi(Vertx vertx, StreamAccess streams, long timeoutMs) {

  /** The header that makes a device registration safe to retry (the IETF's Idempotency-Key). */
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  void mount(Router router) {
    router.post("/api/sensors/:deviceId/readings").handler(this::ingest); // first of these: most are readings
    router.post("/api/devices").handler(this::register);
    router.get("/api/devices").handler(ctx -> HttpApi.reply(ctx, 200, user(ctx)
      .compose(p -> AuthBus.DEVICE_LIST.request(vertx.eventBus(), null, timeoutMs))));
    router.delete("/api/devices/:deviceId").handler(this::revoke);
    router.get("/api/sensors/:deviceId/aggregates").handler(this::aggregates);
    router.get("/api/sensors/:deviceId").handler(ctx -> HttpApi.reply(ctx, 200, readable(ctx)
      .compose(device -> SensorsBus.status(device).request(vertx.eventBus(), new SensorsBus.Device(device), timeoutMs))));
  }

  private void register(RoutingContext ctx) {
    JsonObject principal = admin(ctx);
    if (!(HttpApi.jsonBody(ctx) instanceof JsonObject body)) {
      throw Failures.badRequest("expected a JSON object {deviceId, name?}");
    }
    JsonObject request = new JsonObject().put("deviceId", body.getValue("deviceId")).put("by", principal.getString("name"));
    if (body.containsKey("name")) {
      request.put("name", body.getValue("name"));
    }
    String idempotencyKey = ctx.request().getHeader(IDEMPOTENCY_KEY);
    if (idempotencyKey != null) {
      request.put("idempotencyKey", idempotencyKey);
    }
    HttpApi.reply(ctx, 201, AuthBus.DEVICE_CREATE.request(vertx.eventBus(), AuthBus.NewDevice.fromJson(request), timeoutMs));
  }

  /**
   * Revokes a device; with {@code ?data=true} its data goes too (its stream's events, aggregates and checkpoint),
   * after its key stopped working. A retry of a deletion whose data was not all gone deletes what is left (404 only
   * when there is neither device nor data).
   */
  private void revoke(RoutingContext ctx) {
    JsonObject principal = admin(ctx);
    String device = ctx.pathParam("deviceId");
    String data = ctx.queryParams().get("data");
    if (data != null && !data.equals("true") && !data.equals("false")) {
      throw Failures.badRequest("'data' must be true or false");
    }
    Future<JsonObject> revoked = AuthBus.DEVICE_DELETE.request(vertx.eventBus(),
      new AuthBus.DeviceRemoval(device, principal.getString("name")), timeoutMs);
    // with its data: also when the device is gone already (404), and then 404 only if no data was left either
    Future<?> done = !"true".equals(data) ? revoked : revoked.transform(revocation ->
      revocation.failed() && Failures.code(revocation.cause()) != Failures.NOT_FOUND ? Future.failedFuture(revocation.cause())
        : SensorsBus.purge(device).request(vertx.eventBus(), new SensorsBus.Device(device), timeoutMs).compose(purged ->
          revocation.succeeded() || purged.getLong("events", 0L) + purged.getLong("aggregates", 0L) > 0
            ? Future.succeededFuture(purged) : Future.failedFuture(revocation.cause())));
    done.onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(failure -> HttpApi.fail(ctx, failure));
  }

  private void ingest(RoutingContext ctx) {
    JsonObject principal = HttpApi.principal(ctx);
    String device = ctx.pathParam("deviceId");
    if (principal == null) {
      throw Failures.of(Failures.UNAUTHORIZED, "a device key is required: 'Authorization: Bearer <key>'");
    }
    if (!AuthBus.KIND_DEVICE.equals(principal.getString("kind")) || !principal.getString("name").equals(device)) {
      throw Failures.of(Failures.FORBIDDEN, principal.getString("name") + " may not post readings of device '" + device + "'");
    }
    Object body = HttpApi.jsonBody(ctx);
    JsonArray readings = body instanceof JsonArray array ? array : new JsonArray().add(body);
    Future<StorageBus.Appended> results = streams.ingest(device, readings);
    HttpApi.reply(ctx, 201, body instanceof JsonArray ? results.map(StorageBus.Appended::toJsonBuffer)
      : results.map(r -> r.first().toJson()));
  }

  private void aggregates(RoutingContext ctx) {
    JsonObject query = new JsonObject();
    for (String name : new String[] {"kind", "window", "from", "to"}) {
      String value = ctx.queryParams().get(name);
      if (value != null) {
        query.put(name, value);
      }
    }
    HttpApi.reply(ctx, 200, readable(ctx).compose(device -> SensorsBus.aggregates(device).request(vertx.eventBus(),
      SensorsBus.AggregatesQuery.fromJson(query.put("deviceId", device)), timeoutMs)));
  }

  /** The path's device, when the caller may read its stream. */
  private Future<String> readable(RoutingContext ctx) {
    String device = ctx.pathParam("deviceId");
    try {
      streams.checkRead(HttpApi.principal(ctx), SensorsBus.stream(device));
      return Future.succeededFuture(device);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** The signed-in user: 401 when anonymous, 403 for a device (a device key only reaches its own stream). */
  private static Future<JsonObject> user(RoutingContext ctx) {
    JsonObject principal = HttpApi.principal(ctx);
    if (principal == null) {
      return Future.failedFuture(Failures.of(Failures.UNAUTHORIZED, "authentication required"));
    }
    return AuthBus.KIND_USER.equals(principal.getString("kind")) ? Future.succeededFuture(principal)
      : Future.failedFuture(Failures.of(Failures.FORBIDDEN, "a device may not list devices"));
  }

  private static JsonObject admin(RoutingContext ctx) {
    return HttpApi.admin(HttpApi.principal(ctx), "only admins manage devices");
  }
}
