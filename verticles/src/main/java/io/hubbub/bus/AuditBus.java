package io.hubbub.bus;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;

/**
 * The audit verticle's conversations: it alone appends to the {@code audit.*} streams.
 *
 * <ul>
 *   <li>{@link #RECORD}: a {@link Change} → nothing: a create, update or delete of a user, room or device,
 *       appended as its {@code type} to {@code audit.<collection>}</li>
 *   <li>{@link #ACCESS} (send, no reply): a {@link Refusal}, appended to {@code audit.access} as
 *       {@code REFUSED}, rate-limited</li>
 * </ul>
 */
public final class AuditBus {

  public static final Contract<Change, Void> RECORD = Contract.of("audit.record", Change::toJson, Change::fromJson,
    nothing -> new JsonObject(), json -> null);
  public static final String ACCESS = "audit.access";

  public static final Set<String> COLLECTIONS = Set.of("users", "rooms", "devices", "streams");
  public static final Set<String> TYPES = Set.of("CREATED", "UPDATED", "DELETED");
  public static final String ACCESS_STREAM = "audit.access";
  private static final Logger log = LoggerFactory.getLogger(AuditBus.class);

  private AuditBus() {
  }

  /**
   * A create, update or delete of a user, room or device: {@code type} one of {@link #TYPES}, {@code collection} one
   * of {@link #COLLECTIONS}, {@code data} what changed (never a password or key), {@code by} who did it.
   */
  public record Change(String collection, String type, JsonObject data, String by) {

    public JsonObject toJson() {
      return new JsonObject().put("collection", collection).put("type", type).put("data", data).put("by", by);
    }

    /** The change a request carries; 400 unless each field is as above. */
    public static Change fromJson(JsonObject body) {
      String collection = body.getValue("collection") instanceof String c ? c : null;
      String type = body.getValue("type") instanceof String t ? t : null;
      if (!COLLECTIONS.contains(collection) || !TYPES.contains(type)) {
        throw Failures.badRequest("'collection' must be one of " + COLLECTIONS + " and 'type' one of " + TYPES);
      }
      if (!(body.getValue("data") instanceof JsonObject data) || !(body.getValue("by") instanceof String by) || by.isEmpty()) {
        throw Failures.badRequest("'data' must be an object and 'by' name who did it");
      }
      EventRules.checkDocument(data, "data");
      return new Change(collection, type, data, by);
    }
  }

  /**
   * A refused request or bridge frame: who ({@code principal}, empty for anonymous), from where, what they called
   * in their own terms ({@code target}), why, and the status. Read leniently: the values come from clients.
   */
  public record Refusal(String principal, String remote, String target, String reason, int code) {

    public JsonObject toJson() {
      return new JsonObject().put("principal", principal).put("remote", remote).put("target", target)
        .put("reason", reason).put("code", code);
    }

    /** What a message holds, each value as text (empty when missing), the code 0 when it is not a number. */
    public static Refusal fromJson(JsonObject body) {
      return new Refusal(text(body.getValue("principal")), text(body.getValue("remote")), text(body.getValue("target")),
        text(body.getValue("reason")), body.getValue("code") instanceof Integer code ? code : 0);
    }

    private static String text(Object value) {
      return value == null ? "" : String.valueOf(value);
    }
  }

  /** Sends a change to the audit trail; the change stands (with a warning logged) if the trail cannot take it now. */
  public static Future<Void> tell(EventBus bus, Change change, long timeoutMs) {
    return RECORD.request(bus, change, timeoutMs).recover(failure -> {
      log.warn("change not audited [change: {}, error: {}]", change.toJson().encode(), failure.getMessage());
      return Future.succeededFuture();
    });
  }

  /**
   * Tells the access trail of a refused request or frame, when the refusal is one it keeps (401, 403): fire and
   * forget, the audit verticle samples them.
   */
  public static void refused(EventBus bus, String principal, String remote, String target, Throwable failure) {
    int code = Failures.code(failure);
    if (code == Failures.UNAUTHORIZED || code == Failures.FORBIDDEN) {
      bus.send(ACCESS, new Refusal(principal, remote, target, Failures.message(failure), code).toJson());
    }
  }

  /**
   * Tells the access trail of a refused device packet (MQTT), whatever the client's fault (400, 401, 403, 413): a
   * device that sends what it may not is worth a line as much as one that signs in wrongly. Sampled like the others.
   */
  public static void refusedPacket(EventBus bus, String principal, String remote, String target, Throwable failure) {
    int code = Failures.code(failure);
    if (code >= 400 && code < 500) {
      bus.send(ACCESS, new Refusal(principal, remote, target, Failures.message(failure), code).toJson());
    }
  }
}
