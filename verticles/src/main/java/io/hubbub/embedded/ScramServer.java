package io.hubbub.embedded;

import java.util.Locale;
import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as MongoDB speaks it ({@code saslStart},
 * {@code saslContinue}), for the embedded store's one user; and the gate that refuses every other command
 * on a connection that has not signed in (code 13, Unauthorized), as a MongoDB with authentication does.
 * The password itself is never kept: only the derived keys, computed once at start.
 */
final class ScramServer {

  static final String MECHANISM = "SCRAM-SHA-256";
  /** The fewest iterations MongoDB's drivers accept for SCRAM-SHA-256. */
  private static final int ITERATIONS = 4096;
  /** What a connection may ask before it signs in: the handshake, and signing in. */
  private static final Set<String> OPEN = Set.of("ismaster", "hello", "buildinfo", "saslstart", "saslcontinue", "ping", "endsessions",
    "getlasterror");
  private static final AttributeKey<Boolean> SIGNED_IN = AttributeKey.valueOf("hubbub.signedIn");
  private static final AttributeKey<String[]> CONVERSATION = AttributeKey.valueOf("hubbub.scram");
  private static final SecureRandom RANDOM = new SecureRandom();
  /** {@code c=} of a client that asked for no channel binding: base64 of its GS2 header {@code n,,}. */
  private static final String NO_CHANNEL_BINDING = Base64.getEncoder().encodeToString("n,,".getBytes(StandardCharsets.US_ASCII));

  private final String user;
  private final byte[] salt = new byte[16];
  private final byte[] storedKey;
  private final byte[] serverKey;

  ScramServer(StoreCredentials credentials) {
    this.user = credentials.user();
    RANDOM.nextBytes(salt);
    try {
      SecretKeyFactory pbkdf2 = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
      byte[] salted = pbkdf2.generateSecret(new PBEKeySpec(credentials.password().toCharArray(), salt, ITERATIONS, 256)).getEncoded();
      this.storedKey = MessageDigest.getInstance("SHA-256").digest(hmac(salted, "Client Key"));
      this.serverKey = hmac(salted, "Server Key");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SCRAM-SHA-256 needs PBKDF2WithHmacSHA256 and HmacSHA256", e);
    }
  }

  /** Fails with Unauthorized unless the connection has signed in or the command is one of the handshake's. */
  void check(Channel channel, String command) {
    if (!OPEN.contains(command.toLowerCase(Locale.ROOT)) && !Boolean.TRUE.equals(channel.attr(SIGNED_IN).get())) {
      throw new MongoServerError(13, "Unauthorized", "command " + command + " requires authentication");
    }
  }

  Document saslStart(Channel channel, Document query) {
    if (!MECHANISM.equals(query.get("mechanism"))) {
      throw failed("mechanism " + query.get("mechanism") + " is not supported: use " + MECHANISM);
    }
    String clientFirst = payload(query);
    if (!clientFirst.startsWith("n,,")) {
      throw failed("channel binding is not supported");
    }
    String bare = clientFirst.substring(3);
    Map<String, String> fields = fields(bare);
    String nonce = fields.get("r");
    if (!user.equals(fields.get("n")) || nonce == null || nonce.isEmpty()) {
      throw failed("unknown user");
    }
    byte[] ours = new byte[24];
    RANDOM.nextBytes(ours);
    String combined = nonce + Base64.getEncoder().encodeToString(ours);
    String serverFirst = "r=" + combined + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i=" + ITERATIONS;
    channel.attr(CONVERSATION).set(new String[] {bare, serverFirst, combined});
    return reply(serverFirst, false);
  }

  Document saslContinue(Channel channel, Document query) {
    String[] conversation = channel.attr(CONVERSATION).getAndSet(null);
    String clientFinal = payload(query);
    if (conversation == null) {
      if (clientFinal.isEmpty() && Boolean.TRUE.equals(channel.attr(SIGNED_IN).get())) {
        return reply("", true); // the client's empty last step
      }
      throw failed("no conversation in progress");
    }
    int proofAt = clientFinal.lastIndexOf(",p=");
    if (proofAt < 0) {
      throw failed("no proof");
    }
    String withoutProof = clientFinal.substring(0, proofAt);
    Map<String, String> fields = fields(withoutProof);
    if (!conversation[2].equals(fields.get("r"))) {
      throw failed("nonce mismatch");
    }
    if (!NO_CHANNEL_BINDING.equals(fields.get("c"))) {
      throw failed("channel binding does not match the first message");
    }
    String authMessage = conversation[0] + "," + conversation[1] + "," + withoutProof;
    byte[] proof;
    try {
      proof = Base64.getDecoder().decode(clientFinal.substring(proofAt + 3));
    } catch (IllegalArgumentException e) {
      throw failed("malformed proof");
    }
    byte[] signature = hmac(storedKey, authMessage);
    if (proof.length != signature.length) {
      throw failed("wrong password");
    }
    byte[] clientKey = new byte[proof.length];
    for (int i = 0; i < proof.length; i++) {
      clientKey[i] = (byte) (proof[i] ^ signature[i]);
    }
    try {
      if (!MessageDigest.isEqual(storedKey, MessageDigest.getInstance("SHA-256").digest(clientKey))) {
        throw failed("wrong password");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    channel.attr(SIGNED_IN).set(Boolean.TRUE);
    return reply("v=" + Base64.getEncoder().encodeToString(hmac(serverKey, authMessage)), true);
  }

  private static Document reply(String payload, boolean done) {
    Document response = new Document();
    response.put("conversationId", 1);
    response.put("done", done);
    response.put("payload", new BinData(payload.getBytes(StandardCharsets.UTF_8)));
    response.put("ok", 1.0);
    return response;
  }

  private static String payload(Document query) {
    Object payload = query.get("payload");
    if (payload instanceof BinData data) {
      return new String(data.getData(), StandardCharsets.UTF_8);
    }
    if (payload instanceof byte[] bytes) {
      return new String(bytes, StandardCharsets.UTF_8);
    }
    if (payload instanceof String text) {
      return text;
    }
    throw failed("no payload");
  }

  /**
   * A message's {@code k=value} fields. Only a name ({@code n=}, {@code a=}) escapes ',' and '=' (RFC 5802 §5.1); a
   * nonce is any printable but ',', so a client's nonce may well hold "=2C" and must be taken as it is.
   */
  static Map<String, String> fields(String message) {
    Map<String, String> fields = new HashMap<>();
    for (String part : message.split(",", -1)) {
      if (part.length() >= 2 && part.charAt(1) == '=') {
        String key = part.substring(0, 1);
        String value = part.substring(2);
        fields.put(key, key.equals("n") || key.equals("a") ? value.replace("=2C", ",").replace("=3D", "=") : value);
      }
    }
    return fields;
  }

  private static MongoServerError failed(String why) {
    return new MongoServerError(18, "AuthenticationFailed", "Authentication failed: " + why);
  }

  private static byte[] hmac(byte[] key, String message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
