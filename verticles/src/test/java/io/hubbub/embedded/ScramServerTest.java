package io.hubbub.embedded;

import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The embedded store's SCRAM-SHA-256, driven by a client written here from RFC 5802. MongoDB's Java driver makes its
 * nonce of any printable but ',' (so "=2C" and "=3D" turn up in about one sign-in of 18,000), and a client gives up
 * unless the server's nonce starts with its own, byte for byte.
 */
class ScramServerTest {

  private static final StoreCredentials CREDENTIALS = new StoreCredentials("hubbub", "s3cret-password");
  private final ScramServer server = new ScramServer(CREDENTIALS);

  @Test
  void aClientSignsIn() throws Exception {
    EmbeddedChannel channel = new EmbeddedChannel();
    assertThat(signIn(channel, "fyko+d2lbbFgONRv9qkxdawL", CREDENTIALS.password())).isTrue();
    server.check(channel, "find"); // no longer refused
  }

  @Test
  void aNonceThatLooksEscapedIsTakenAsItIs() throws Exception {
    assertThat(signIn(new EmbeddedChannel(), "ab=2Ccd=3Def=2C", CREDENTIALS.password())).isTrue();
    assertThat(signIn(new EmbeddedChannel(), "=3D", CREDENTIALS.password())).isTrue();
  }

  @Test
  void aNameIsUnescaped() {
    Map<String, String> fields = ScramServer.fields("n=a=2Cb=3Dc,r=x=2Cy");
    assertThat(fields).containsEntry("n", "a,b=c").containsEntry("r", "x=2Cy");
  }

  @Test
  void aWrongPasswordIsRefusedAndTheConnectionStaysClosed() {
    EmbeddedChannel channel = new EmbeddedChannel();
    assertThatThrownBy(() -> signIn(channel, "nonce-1", "not-the-password"))
      .isInstanceOf(MongoServerError.class).hasMessageContaining("wrong password");
    assertThatThrownBy(() -> server.check(channel, "find")).isInstanceOf(MongoServerError.class).hasMessageContaining("requires authentication");
  }

  @Test
  void anUnknownUserIsRefused() {
    Document start = saslStart("n,,n=root,r=abc");
    assertThatThrownBy(() -> server.saslStart(new EmbeddedChannel(), start)).isInstanceOf(MongoServerError.class)
      .hasMessageContaining("unknown user");
  }

  /** Signs in as a driver does; true when the server's signature checks out. */
  private boolean signIn(EmbeddedChannel channel, String clientNonce, String password) throws Exception {
    String clientFirstBare = "n=" + CREDENTIALS.user() + ",r=" + clientNonce;
    String serverFirst = payload(server.saslStart(channel, saslStart("n,," + clientFirstBare)));
    Map<String, String> first = ScramServer.fields(serverFirst);
    String nonce = first.get("r");
    assertThat(nonce).as("the server's nonce goes on from the client's").startsWith(clientNonce).hasSizeGreaterThan(clientNonce.length());

    byte[] salt = Base64.getDecoder().decode(first.get("s"));
    int iterations = Integer.parseInt(first.get("i"));
    byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
      .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
    byte[] clientKey = hmac(salted, "Client Key");
    byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(clientKey);
    String withoutProof = "c=biws,r=" + nonce;
    String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
    byte[] signature = hmac(storedKey, authMessage);
    byte[] proof = new byte[clientKey.length];
    for (int i = 0; i < proof.length; i++) {
      proof[i] = (byte) (clientKey[i] ^ signature[i]);
    }
    Document next = new Document("saslContinue", 1);
    next.put("conversationId", 1);
    next.put("payload", new BinData((withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof)).getBytes(StandardCharsets.UTF_8)));
    String serverFinal = payload(server.saslContinue(channel, next));
    String expected = Base64.getEncoder().encodeToString(hmac(hmac(salted, "Server Key"), authMessage));
    return serverFinal.equals("v=" + expected);
  }

  private static Document saslStart(String clientFirst) {
    Document start = new Document("saslStart", 1);
    start.put("mechanism", ScramServer.MECHANISM);
    start.put("payload", new BinData(clientFirst.getBytes(StandardCharsets.UTF_8)));
    return start;
  }

  private static String payload(Document reply) {
    return new String(((BinData) reply.get("payload")).getData(), StandardCharsets.UTF_8);
  }

  private static byte[] hmac(byte[] key, String message) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
  }
}
