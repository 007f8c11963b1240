package io.hubbub.gateway;

import io.hubbub.bus.AuditBus;
import io.hubbub.bus.Failures;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

/** Tells the audit verticle of refused requests and frames (401, 403); it samples them. Fire and forget. */
final class AccessAudit {

  private AccessAudit() {
  }

  static void refused(Vertx vertx, JsonObject principal, SocketAddress remote, String target, Throwable failure) {
    int code = Failures.code(failure);
    if (code == Failures.UNAUTHORIZED || code == Failures.FORBIDDEN) {
      refused(vertx, principal, remote, target, Failures.message(failure), code);
    }
  }

  static void refused(Vertx vertx, JsonObject principal, SocketAddress remote, String target, String reason, int code) {
    refused(vertx, principal, remote == null ? "" : remote.hostAddress(), target, reason, code);
  }

  /** As above, with the remote address as the gateway put it in a forwarded frame's headers. */
  static void refused(Vertx vertx, JsonObject principal, String remote, String target, Throwable failure) {
    int code = Failures.code(failure);
    if (code == Failures.UNAUTHORIZED || code == Failures.FORBIDDEN) {
      refused(vertx, principal, remote, target, Failures.message(failure), code);
    }
  }

  private static void refused(Vertx vertx, JsonObject principal, String remote, String target, String reason, int code) {
    String who = principal == null ? "" : principal.getString("name", "");
    vertx.eventBus().send(AuditBus.ACCESS, AuditBus.access(who, remote, target, reason, code));
  }
}
