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
    refused(vertx, principal, remote == null ? "" : remote.hostAddress(), target, failure);
  }

  /** As above, with the remote address as the gateway put it in a forwarded frame's headers. */
  static void refused(Vertx vertx, JsonObject principal, String remote, String target, Throwable failure) {
    AuditBus.refused(vertx.eventBus(), principal == null ? "" : principal.getString("name", ""), remote, target, failure);
  }

  /** A refusal the bridge itself makes (an address not permitted). */
  static void refused(Vertx vertx, JsonObject principal, SocketAddress remote, String target, String reason, int code) {
    refused(vertx, principal, remote, target, Failures.of(code, reason));
  }
}
