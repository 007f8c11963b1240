package io.hubbub.bus;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.util.regex.Pattern;

/**
 * The auth verticle's conversations. Requests are records (read and checked by their contract); replies are the
 * HTTP API's bodies, or a principal, passed on as JSON.
 *
 * <ul>
 *   <li>{@link #REGISTER}: {@link Credentials} → {@code {username}}; 400 invalid, 409 taken; the same credentials
 *       again answer as the first time did (a retry after a lost answer is not 409)</li>
 *   <li>{@link #LOGIN}: {@link Credentials} → {@code {token, username, expiresAt}}; 401</li>
 *   <li>both: 429 past {@code auth.throttle} ({@link #retryAfter} reads the seconds to wait from it), 503 when
 *       hashing is saturated (nothing was done)</li>
 *   <li>{@link #LOGOUT}: a {@link Token} → {@code {}}</li>
 *   <li>{@link #VERIFY}: a {@link Token} → a principal {@code {name, kind, admin, expiresAt?}}; 401 unknown or expired</li>
 *   <li>{@link #REVOKED} (published): a {@link Revoked}, a session ended ({@code {token}}) or a device's key was
 *       revoked ({@code {device}}); caches drop it</li>
 *   <li>{@link #USER_DELETE}: a {@link UserRemoval} → {@code {}}: the account, its sessions and its name go (every
 *       session revoked at once), and chat erases the user ({@code chat.internal.erase}); 404 no such user, 403 for an
 *       admin the conf names</li>
 *   <li>{@link #DEVICE_CREATE}: a {@link NewDevice} → {@code {deviceId, name, key}}: the key is shown this once
 *       (stored as a hash); 400 invalid, 409 taken</li>
 *   <li>{@link #DEVICE_DELETE}: a {@link DeviceRemoval} → {@code {}}: its key stops working at once; 404</li>
 *   <li>{@link #DEVICE_LIST}: nothing → {@code {devices: [{deviceId, name, created, createdBy}]}}</li>
 *   <li>{@link #DEVICES_CHANGED} (published): a {@link DeviceChanged}</li>
 * </ul>
 */
public final class AuthBus {

  /** What a user name may be. */
  public static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  public static final String USERNAME_RULE = "1 to 64 letters A-Z or a-z (no accents), digits, '-' or '_'";

  public static final Contract<Credentials, JsonObject> REGISTER =
    Contract.jsonReply("auth.register", Credentials::toJson, Credentials::fromJson);
  public static final Contract<Credentials, JsonObject> LOGIN = Contract.jsonReply("auth.login", Credentials::toJson, Credentials::fromJson);
  public static final Contract<Token, JsonObject> LOGOUT = Contract.jsonReply("auth.logout", Token::toJson, Token::fromJson);
  public static final Contract<Token, JsonObject> VERIFY = Contract.jsonReply("auth.verify", Token::toJson, Token::fromJson);
  public static final Contract<NewDevice, JsonObject> DEVICE_CREATE =
    Contract.jsonReply("auth.devices.create", NewDevice::toJson, NewDevice::fromJson);
  public static final Contract<DeviceRemoval, JsonObject> DEVICE_DELETE =
    Contract.jsonReply("auth.devices.delete", DeviceRemoval::toJson, DeviceRemoval::fromJson);
  public static final Contract<Void, JsonObject> DEVICE_LIST = Contract.jsonReply("auth.devices.list", none -> new JsonObject(), json -> null);
  public static final Contract<UserRemoval, JsonObject> USER_DELETE =
    Contract.jsonReply("auth.users.delete", UserRemoval::toJson, UserRemoval::fromJson);
  public static final Topic<Revoked> REVOKED = new Topic<>("auth.revoked", Revoked::toJson, Revoked::fromJson);
  public static final Topic<DeviceChanged> DEVICES_CHANGED =
    new Topic<>("auth.devices.changed", DeviceChanged::toJson, DeviceChanged::fromJson);
  /** The longest device name. */
  public static final int MAX_DEVICE_NAME = 128;

  public static final String LOGINS_STREAM = "auth.logins";

  public static final String KIND_USER = "user";
  public static final String KIND_DEVICE = "device";

  /** A session token: 256 random bits, base64url. */
  public static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{43}");
  /** A device key: {@code <deviceId>.<256 random bits, base64url>}. */
  public static final Pattern DEVICE_KEY = Pattern.compile(Streams.KEY.pattern() + "\\.[A-Za-z0-9_-]{43}");
  private static final String THROTTLED = "too many attempts: retry in ";
  /**
   * How many store timeouts a sign-up or login may take: its hash waits at most one for its turn, then up to
   * three writes follow. Callers wait this long, so an answer never comes after they have given up.
   */
  public static final int TIMEOUTS_PER_LOGIN = 4;

  private AuthBus() {
  }

  /** Whether a bearer token can be a session token or a device key at all (anything else: 401 without asking). */
  public static boolean isWellFormed(String token) {
    return TOKEN.matcher(token).matches() || DEVICE_KEY.matcher(token).matches();
  }

  /** 429 for a throttled sign-up or login, saying how many seconds to wait. */
  public static ReplyException throttled(long seconds) {
    return Failures.of(Failures.RATE_LIMITED, THROTTLED + seconds + " s");
  }

  /** The seconds to wait that a {@link #throttled} failure carries, or 1. */
  public static long retryAfter(String message) {
    if (message != null && message.startsWith(THROTTLED) && message.endsWith(" s")) {
      try {
        return Long.parseLong(message.substring(THROTTLED.length(), message.length() - 2));
      } catch (NumberFormatException ignored) {
        // not ours: the default
      }
    }
    return 1;
  }

  private static String string(JsonObject body, String field) {
    if (!(body.getValue(field) instanceof String value)) {
      throw Failures.badRequest("'" + field + "' must be a string");
    }
    return value;
  }

  /** A sign-up or login: the user name and password as given (checked by auth), and where it came from (null: inside). */
  public record Credentials(String username, String password, String remote) {
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("username", username).put("password", password);
      return remote == null ? json : json.put("remote", remote);
    }

    public static Credentials fromJson(JsonObject body) {
      return new Credentials(string(body, "username"), string(body, "password"),
        body.getValue("remote") instanceof String remote ? remote : null);
    }
  }

  /** A session token or a device key, as a bearer gives it. */
  public record Token(String token) {
    public JsonObject toJson() {
      return new JsonObject().put("token", token);
    }

    public static Token fromJson(JsonObject body) {
      return new Token(string(body, "token"));
    }
  }

  /**
   * A device to register: its id, its name (the id when none is given), the admin who registers it, and the
   * request's {@code Idempotency-Key} (null without one): the same registration again with the same key, by the same
   * admin, re-keys the device it made instead of answering 409 (the answer with the first key was lost).
   */
  public record NewDevice(String deviceId, String name, String by, String idempotencyKey) {
    public NewDevice(String deviceId, String name, String by) {
      this(deviceId, name, by, null);
    }

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("deviceId", deviceId).put("name", name).put("by", by);
      return idempotencyKey == null ? json : json.put("idempotencyKey", idempotencyKey);
    }

    /**
     * 400 for an id that is no stream key, a name that is not 1 to {@value #MAX_DEVICE_NAME} visible characters, or an
     * idempotency key that is not 1 to 64 characters as an event's id.
     */
    public static NewDevice fromJson(JsonObject body) {
      String deviceId = EventRules.key(body, "deviceId");
      Object name = body.getValue("name", deviceId);
      if (!(name instanceof String n) || EventRules.isInvisible(n) || n.length() > MAX_DEVICE_NAME) {
        throw Failures.badRequest("'name' must be a string of 1 to " + MAX_DEVICE_NAME + " characters, not only spaces");
      }
      EventRules.checkUnicode(n, "name");
      Object key = body.getValue("idempotencyKey");
      if (key != null && !(key instanceof String k && EventRules.isId(k))) {
        throw Failures.badRequest("the Idempotency-Key must be " + EventRules.ID_RULE);
      }
      return new NewDevice(deviceId, n, body.getValue("by") instanceof String by ? by : "", (String) key);
    }
  }

  /** A device to remove, and the admin who removes it. */
  public record DeviceRemoval(String deviceId, String by) {
    public JsonObject toJson() {
      return new JsonObject().put("deviceId", deviceId).put("by", by);
    }

    public static DeviceRemoval fromJson(JsonObject body) {
      return new DeviceRemoval(EventRules.key(body, "deviceId"), body.getValue("by") instanceof String by ? by : "");
    }
  }

  /** A device was created or deleted (published to every node). */
  public record DeviceChanged(String deviceId, boolean created) {
    public JsonObject toJson() {
      return new JsonObject().put("deviceId", deviceId).put("op", created ? "created" : "deleted");
    }

    public static DeviceChanged fromJson(JsonObject body) {
      return new DeviceChanged(EventRules.key(body, "deviceId"), "created".equals(body.getString("op")));
    }
  }

  /**
   * A session's token that ended, a device whose key was revoked, or a user who was deleted (every session of
   * theirs): exactly one of the three.
   */
  public record Revoked(String token, String device, String user) {

    public static Revoked session(String token) {
      return new Revoked(token, null, null);
    }

    public static Revoked device(String deviceId) {
      return new Revoked(null, deviceId, null);
    }

    public static Revoked user(String username) {
      return new Revoked(null, null, username);
    }

    public JsonObject toJson() {
      return token != null ? new JsonObject().put("token", token)
        : device != null ? new JsonObject().put("device", device) : new JsonObject().put("user", user);
    }

    public static Revoked fromJson(JsonObject body) {
      if (body.getValue("token") instanceof String token) {
        return session(token);
      }
      if (body.getValue("device") instanceof String device) {
        return device(device);
      }
      if (body.getValue("user") instanceof String user) {
        return user(user);
      }
      throw Failures.badRequest("a revocation names a 'token', a 'device' or a 'user'");
    }
  }

  /** A user to delete, and who asks (an admin, or the user). */
  public record UserRemoval(String username, String by) {
    public JsonObject toJson() {
      return new JsonObject().put("username", username).put("by", by);
    }

    public static UserRemoval fromJson(JsonObject body) {
      if (!(body.getValue("username") instanceof String username) || !USERNAME.matcher(username).matches()) {
        throw Failures.badRequest("'username' must be " + USERNAME_RULE);
      }
      if (!(body.getValue("by") instanceof String by) || by.isEmpty()) {
        throw Failures.badRequest("'by' must name who deletes the user");
      }
      return new UserRemoval(username, by);
    }
  }

  public static JsonObject principal(String name, String kind, boolean admin) {
    return new JsonObject().put("name", name).put("kind", kind).put("admin", admin);
  }
}
