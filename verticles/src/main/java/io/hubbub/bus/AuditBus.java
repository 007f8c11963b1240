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
 *   <li>{@link #RECORD} {@code {collection, type, data, by}} → {@code {}}: a create, update or delete of a
 *       user, room or device, appended as {@code type} ({@code CREATED}, {@code UPDATED}, {@code DELETED})
 *       to {@code audit.<collection>}; {@code data} says what changed (never a password or key)</li>
 *   <li>{@link #ACCESS} (send, no reply) {@code {principal, remote, target, reason, code}}: a refused
 *       request or bridge frame, appended to {@code audit.access} as {@code REFUSED}, rate-limited</li>
 * </ul>
 */
public final class AuditBus {

  public static final String RECORD = "audit.record";
  public static final String ACCESS = "audit.access";

  public static final Set<String> COLLECTIONS = Set.of("users", "rooms", "devices");
  public static final Set<String> TYPES = Set.of("CREATED", "UPDATED", "DELETED");
  public static final String ACCESS_STREAM = "audit.access";
  private static final Logger log = LoggerFactory.getLogger(AuditBus.class);

  private AuditBus() {
  }

  public static JsonObject record(String collection, String type, JsonObject data, String by) {
    return new JsonObject().put("collection", collection).put("type", type).put("data", data).put("by", by);
  }

  /** Sends a change to the audit trail; the change stands (with a warning logged) if the trail cannot take it now. */
  public static Future<Void> tell(EventBus bus, JsonObject record, long timeoutMs) {
    return Bus.request(bus, RECORD, record, timeoutMs).<Void>mapEmpty().recover(failure -> {
      log.warn("change not audited [record: {}, error: {}]", record.encode(), failure.getMessage());
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
      bus.send(ACCESS, access(principal, remote, target, Failures.message(failure), code));
    }
  }

  public static JsonObject access(String principal, String remote, String target, String reason, int code) {
    return new JsonObject().put("principal", principal).put("remote", remote).put("target", target)
      .put("reason", reason).put("code", code);
  }
}
