package io.hubbub.auth;

import io.vertx.ext.auth.hashing.HashingStrategy;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * Salted PBKDF2-HMAC-SHA512 password hashes in PHC string form, by vertx-auth's hashing strategy.
 * Deliberately slow: call off the event loop.
 */
final class Passwords {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HashingStrategy STRATEGY = HashingStrategy.load();

  private final Map<String, String> params;
  private final String dummyHash;

  Passwords(int iterations) {
    this.params = Map.of("it", Integer.toString(iterations));
    this.dummyHash = hash("not a real password");
  }

  String hash(String password) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    return STRATEGY.hash("pbkdf2", params, Base64.getEncoder().withoutPadding().encodeToString(salt), password);
  }

  /** Checks a password; with no stored hash it still spends the same time, so timing tells nothing. */
  boolean verify(String storedHash, String password) {
    if (storedHash == null) {
      STRATEGY.verify(dummyHash, password);
      return false;
    }
    return STRATEGY.verify(storedHash, password);
  }

  /** A random string of {@code bytes} bytes, URL-safe base64: session tokens, generated passwords. */
  static String randomToken(int bytes) {
    byte[] token = new byte[bytes];
    RANDOM.nextBytes(token);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(token);
  }
}
