package io.hubbub.store;

import io.hubbub.support.TestFiles;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded store answers only clients that sign in with its credentials (SCRAM-SHA-256, as MongoDB): a
 * local process without them can neither read the users' hashes nor write a session, by the driver or by
 * the legacy wire protocol. The credentials are made once, readable by the owner only, and kept.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StoreAuthTest {

  private Vertx vertx;
  private Path dir;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("hubbub-store-auth");
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
    TestFiles.deleteTree(dir);
  }

  private MongoClient client(String uri) {
    return MongoClient.create(vertx, new JsonObject().put("connection_string", uri).put("db_name", "hubbub")
      .put("serverSelectionTimeoutMS", 3_000));
  }

  @Test
  void onlyClientsWithTheCredentialsAreServed() throws Exception {
    try (EmbeddedStore store = EmbeddedStore.start(dir)) {
      String uri = store.uri();
      assertTrue(uri.contains("authMechanism=SCRAM-SHA-256"), "the store's own URI signs in");
      MongoClient owner = client(uri);
      owner.insert("users", new JsonObject().put("_id", "alice").put("hash", "$pbkdf2$secret")).await(10, TimeUnit.SECONDS);
      assertEquals(1L, owner.count("users", new JsonObject()).await(10, TimeUnit.SECONDS));

      String address = uri.substring(uri.indexOf('@') + 1, uri.indexOf('/', uri.indexOf('@')));
      MongoClient stranger = client("mongodb://" + address);
      Throwable read = assertThrows(Exception.class, () -> stranger.find("users", new JsonObject()).await(10, TimeUnit.SECONDS));
      assertTrue(read.getMessage().contains("Unauthorized") || read.getMessage().contains("13"), read.getMessage());
      assertThrows(Exception.class, () -> stranger.insert("sessions", new JsonObject().put("_id", "forged").put("username", "admin"))
        .await(10, TimeUnit.SECONDS));

      MongoClient guesser = client("mongodb://hubbub:not-the-password@" + address + "/?authSource=admin&authMechanism=SCRAM-SHA-256");
      Throwable guessed = assertThrows(Exception.class, () -> guesser.find("users", new JsonObject()).await(10, TimeUnit.SECONDS));
      assertTrue(String.valueOf(guessed.getMessage()).toLowerCase().contains("auth"), guessed.getMessage());

      String password = uri.substring(uri.indexOf(':', "mongodb://".length()) + 1, uri.indexOf('@'));
      MongoClient plainUri = client("mongodb://hubbub:" + password + "@" + address + "/?authSource=admin");
      assertEquals(1L, plainUri.count("users", new JsonObject()).await(10, TimeUnit.SECONDS),
        "a URI that names no mechanism learns SCRAM-SHA-256 from the handshake");

      assertTrue(legacyQueryRefused(address), "an OP_QUERY of the users collection without signing in is refused");
      assertEquals(0L, owner.count("sessions", new JsonObject()).await(10, TimeUnit.SECONDS), "nothing was written by strangers");
      owner.close().await(10, TimeUnit.SECONDS);
    }

    Path file = dir.resolve(StoreCredentials.FILE_NAME);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    String before = Files.readString(file);
    try (EmbeddedStore again = EmbeddedStore.start(dir)) {
      assertEquals(before, Files.readString(file), "the credentials are kept across restarts");
      assertEquals(1L, client(again.uri()).count("users", new JsonObject()).await(10, TimeUnit.SECONDS));
    }
  }

  /**
   * Sends a legacy OP_QUERY for hubbub.users and says whether it was refused (an error, or the connection
   * closed) rather than answered with documents; the same framing for the handshake is answered, so the
   * refusal is not a malformed message.
   */
  private static boolean legacyQueryRefused(String address) throws Exception {
    byte[] isMaster = {19, 0, 0, 0, 0x10, 'i', 's', 'm', 'a', 's', 't', 'e', 'r', 0, 1, 0, 0, 0, 0}; // {ismaster: 1}
    String handshake = legacyQuery(address, "admin.$cmd", isMaster);
    if (handshake == null || !handshake.contains("maxWireVersion")) {
      throw new AssertionError("the legacy handshake was not answered: " + handshake);
    }
    String reply = legacyQuery(address, "hubbub.users", new byte[] {5, 0, 0, 0, 0});
    return reply == null || (reply.contains("requires authentication") && !reply.contains("$pbkdf2$secret"));
  }

  /** One OP_QUERY; its reply as text, or null when the server closed the connection instead. */
  private static String legacyQuery(String address, String namespace, byte[] query) throws Exception {
    String[] hostPort = address.split(":");
    byte[] collection = (namespace + "\0").getBytes(StandardCharsets.US_ASCII);
    ByteBuffer message = ByteBuffer.allocate(16 + 4 + collection.length + 8 + query.length).order(ByteOrder.LITTLE_ENDIAN);
    message.putInt(message.capacity()).putInt(1).putInt(0).putInt(2004); // header: length, id, responseTo, OP_QUERY
    message.putInt(0).put(collection).putInt(0).putInt(10).put(query);
    try (Socket socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(message.array());
      out.flush();
      byte[] header = socket.getInputStream().readNBytes(4);
      if (header.length < 4) {
        return null;
      }
      int length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getInt();
      return new String(socket.getInputStream().readNBytes(length - 4), StandardCharsets.ISO_8859_1);
    }
  }
}
