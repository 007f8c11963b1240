package io.hubbub.bus;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;

/**
 * Who sent a bus message from outside: the gateway authenticates every bridge frame and replaces
 * its headers with the principal its token names ({@link #PRINCIPAL_HEADER}) or the reason it names
 * none ({@link #AUTH_ERROR_HEADER}), so a client can never claim to be someone else.
 */
public final class Caller {

  public static final String PRINCIPAL_HEADER = "hubbub-principal";
  public static final String AUTH_ERROR_HEADER = "hubbub-auth-error";
  /** The client's network address, as the gateway saw it. */
  public static final String REMOTE_HEADER = "hubbub-remote";
  /** What the client itself called, e.g. {@code send chat.send}: for the access trail. */
  public static final String TARGET_HEADER = "hubbub-target";
  /** The author ({@code by}) of the events the server writes itself: logins, alerts, the access trail. A reserved name. */
  public static final String SERVER = "hubbub";

  private Caller() {
  }

  /** The caller's principal {@code {name, kind, admin}}, null when anonymous; fails with the token's problem. */
  public static JsonObject principal(MultiMap headers) {
    String error = headers.get(AUTH_ERROR_HEADER);
    if (error != null) {
      int space = error.indexOf(' ');
      throw Failures.of(Integer.parseInt(error.substring(0, space)), error.substring(space + 1));
    }
    String principal = headers.get(PRINCIPAL_HEADER);
    return principal == null ? null : new JsonObject(principal);
  }

  /** The client's address as the gateway saw it, or "". */
  public static String remote(MultiMap headers) {
    String remote = headers.get(REMOTE_HEADER);
    return remote == null ? "" : remote;
  }

  /** The principal's name for logs and trails, or "" when there is none (never fails). */
  public static String name(MultiMap headers) {
    String principal = headers.get(PRINCIPAL_HEADER);
    return principal == null ? "" : new JsonObject(principal).getString("name", "");
  }

  /** The name of the signed-in user behind a message: 401 when anonymous, 403 for a device. */
  public static String user(MultiMap headers) {
    JsonObject principal = principal(headers);
    if (principal == null) {
      throw Failures.of(Failures.UNAUTHORIZED, "sign in first: send 'authorization: Bearer <token>' in the frame's headers");
    }
    if (!AuthBus.KIND_USER.equals(principal.getString("kind"))) {
      throw Failures.of(Failures.FORBIDDEN, "only users may do this");
    }
    return principal.getString("name");
  }

  /** The headers that carry a principal on a message the gateway forwards. */
  public static JsonObject headers(JsonObject principal) {
    JsonObject headers = new JsonObject();
    if (principal != null) {
      headers.put(PRINCIPAL_HEADER, principal.encode());
    }
    return headers;
  }
}
