package io.hubbub.auth;

import io.hubbub.bus.AuthBus;
import io.hubbub.conf.HubbubConf;
import io.hubbub.limit.RateLimit;

/**
 * {@code auth.throttle}: how many sign-ups and logins one user name and one remote address may try in a
 * window. Past either, the attempt is refused with 429 before any password is hashed. Counted per auth
 * instance (a cluster with n auth instances allows up to n times as many).
 */
final class Throttle {

  /** Longer names are counted by their first characters: no name is longer (and a key stays small). */
  private static final int MAX_NAME = 128;

  private final RateLimit perUser;
  private final RateLimit perAddress;

  Throttle(HubbubConf.Auth.Window conf) {
    long windowMs = conf.perSeconds() * 1_000L;
    perUser = new RateLimit(conf.perUser(), windowMs);
    perAddress = new RateLimit(conf.perAddress(), windowMs);
  }

  /** Counts one attempt; fails with 429 (carrying the seconds to wait) when the name or the address is over. */
  void attempt(String username, String remote, long now) {
    String user = Names.key(username.length() > MAX_NAME ? username.substring(0, MAX_NAME) : username);
    if (!perAddress.tryAcquire(remote, now)) {
      throw AuthBus.throttled(perAddress.retryAfterSeconds(remote, now));
    }
    if (!perUser.tryAcquire(user, now)) {
      throw AuthBus.throttled(perUser.retryAfterSeconds(user, now));
    }
  }

  void sweep(long now) {
    perUser.sweep(now);
    perAddress.sweep(now);
  }
}
