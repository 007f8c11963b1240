package io.hubbub.bus;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.util.regex.Pattern;

/**
 * The auth verticle's conversations.
 *
 * <ul>
 *   <li>{@link #REGISTER} {@code {username, password, remote}} → {@code {username}}; 400 invalid, 409 taken; the
 *       same credentials again answer as the first time did (a retry after a lost answer is not 409)</li>
 *   <li>{@link #LOGIN} {@code {username, password, remote}} → {@code {token, username, expiresAt}}; 401</li>
 *   <li>both: 429 past {@code auth.throttle} ({@link #retryAfter} reads the seconds to wait from it), 503 when
 *       hashing is saturated (nothing was done)</li>
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

  /** What a user name may be. */
  public static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

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
