package io.hubbub.bus;

import io.vertx.core.json.JsonObject;

/**
 * The auth verticle's conversations.
 *
 * <ul>
 *   <li>{@link #REGISTER} {@code {username, password}} → {@code {username}}; 400 invalid, 409 taken</li>
 *   <li>{@link #LOGIN} {@code {username, password, remote}} → {@code {token, username, expiresAt}}; 401</li>
 *   <li>{@link #LOGOUT} {@code {token}} → {@code {}}</li>
 *   <li>{@link #VERIFY} {@code {token}} → a principal {@code {name, kind, admin}}; 401 unknown or expired</li>
 *   <li>{@link #REVOKED} (published) {@code {token}}: a session ended, or {@code {device}}: a device's key was
 *       revoked; caches drop it</li>
 *   <li>{@link #DEVICE_CREATE} {@code {deviceId, name?, by}} → {@code {deviceId, name, key}}: the key is shown
 *       this once (stored as a hash); 400 invalid, 409 taken</li>
 *   <li>{@link #DEVICE_DELETE} {@code {deviceId, by}} → {@code {}}: its key stops working at once; 404</li>
 *   <li>{@link #DEVICE_LIST} {@code {}} → {@code {devices: [{deviceId, name, created, createdBy}]}}</li>
 *   <li>{@link #DEVICES_CHANGED} (published) {@code {deviceId, op: "created"|"deleted"}}</li>
 * </ul>
 */
public final class AuthBus {

  public static final String REGISTER = "auth.register";
  public static final String LOGIN = "auth.login";
  public static final String LOGOUT = "auth.logout";
  public static final String VERIFY = "auth.verify";
  public static final String REVOKED = "auth.revoked";
  public static final String DEVICE_CREATE = "auth.devices.create";
  public static final String DEVICE_DELETE = "auth.devices.delete";
  public static final String DEVICE_LIST = "auth.devices.list";
  public static final String DEVICES_CHANGED = "auth.devices.changed";

  public static final String LOGINS_STREAM = "auth.logins";

  public static final String KIND_USER = "user";
  public static final String KIND_DEVICE = "device";

  private AuthBus() {
  }

  public static JsonObject credentials(String username, String password) {
    return new JsonObject().put("username", username).put("password", password);
  }

  public static JsonObject token(String token) {
    return new JsonObject().put("token", token);
  }

  public static JsonObject device(String deviceId) {
    return new JsonObject().put("deviceId", deviceId);
  }

  public static JsonObject principal(String name, String kind, boolean admin) {
    return new JsonObject().put("name", name).put("kind", kind).put("admin", admin);
  }
}
