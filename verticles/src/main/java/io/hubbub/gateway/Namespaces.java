package io.hubbub.gateway;

import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Failures;
import io.hubbub.bus.Streams;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * Who may publish to and read the streams of each namespace, as the conf declares them:
 * {@code "namespaces": {"app": {"publish": "authenticated", "read": "authenticated"}, …}}.
 * A stream in an undeclared namespace does not exist (404).
 */
final class Namespaces {

  private final Map<String, HubbubConf.Access> rules;

  Namespaces(Map<String, HubbubConf.Access> declared) {
    this.rules = Map.copyOf(declared);
  }

  /** Fails with 400, 404, 401 or 403 unless {@code principal} (null: anonymous) may publish to {@code stream}. */
  void checkPublish(JsonObject principal, String stream) {
    HubbubConf.Access rules = rulesOf(stream);
    checkDevice(rules, principal, stream);
    check(rules.publish(), principal, stream, "publish to");
  }

  /** Whether the stream's publishers are its room's members, which the chat verticle decides (400 or 404 for a bad name). */
  boolean publishedByMembers(String stream) {
    return rulesOf(stream).publish().equals("members");
  }

  /** Fails with 400, 404, 401 or 403 unless {@code principal} (null: anonymous) may read {@code stream}. */
  void checkRead(JsonObject principal, String stream) {
    HubbubConf.Access rules = rulesOf(stream);
    checkDevice(rules, principal, stream);
    check(rules.read(), principal, stream, "read");
  }

  /**
   * A device key opens one stream: its own in a namespace its devices publish to ({@code sensor.<deviceId>}).
   * Everything else is 403 for it, whatever the namespace lets signed-in users do.
   */
  private static void checkDevice(HubbubConf.Access rules, JsonObject principal, String stream) {
    if (principal != null && AuthBus.KIND_DEVICE.equals(principal.getString("kind"))
      && !(rules.publish().equals("device") && Streams.key(stream).equals(principal.getString("name")))) {
      throw denied("a device may only publish to and read its own stream, not '" + stream + "'");
    }
  }

  private HubbubConf.Access rulesOf(String stream) {
    if (!Streams.isValidName(stream)) {
      throw Failures.badRequest(Streams.notAName(stream));
    }
    HubbubConf.Access found = rules.get(Streams.namespace(stream));
    if (found == null) {
      throw Failures.of(Failures.NOT_FOUND, "no namespace '" + Streams.namespace(stream) + "'");
    }
    return found;
  }

  private static void check(String rule, JsonObject principal, String stream, String action) {
    if (rule.equals("anonymous")) {
      return;
    }
    if (rule.equals("none")) {
      throw denied("clients may not " + action + " '" + stream + "'");
    }
    if (principal == null) {
      throw Failures.of(Failures.UNAUTHORIZED, "authentication required to " + action + " '" + stream + "'");
    }
    boolean allowed = switch (rule) {
      case "authenticated" -> true;
      case "admin" -> principal.getBoolean("admin", false);
      case "device" -> AuthBus.KIND_DEVICE.equals(principal.getString("kind"))
        && Streams.key(stream).equals(principal.getString("name"));
      default -> false; // "members": StreamAccess hands such publishes to the chat verticle
    };
    if (!allowed) {
      throw denied(principal.getString("name") + " may not " + action + " '" + stream + "'");
    }
  }

  private static ReplyException denied(String message) {
    return Failures.of(Failures.FORBIDDEN, message);
  }
}
