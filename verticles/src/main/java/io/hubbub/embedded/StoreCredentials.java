package io.hubbub.embedded;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The embedded store's one user: name {@value #USER} and a random password, made on the store's first start
 * and kept in {@value #FILE_NAME} beside its data, readable by the owner only. Clients must sign in with it
 * (SCRAM-SHA-256, as with MongoDB); the storage verticle that starts the store gets it in the store's URI,
 * other nodes of a local cluster read it from the file ({@code mongo.credentialsFile}).
 */
public record StoreCredentials(String user, String password) {

  public static final String USER = "hubbub";
  public static final String FILE_NAME = "store.credentials";

  /** Reads the credentials under {@code dataDir}, making them (owner-only) when there are none. */
  static StoreCredentials loadOrCreate(Path dataDir) throws IOException {
    Path file = dataDir.resolve(FILE_NAME);
    if (Files.isRegularFile(file)) {
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------")); // e.g. after a restore
      } catch (UnsupportedOperationException notPosix) {
        // nothing to narrow
      }
      return read(file);
    }
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    Path partial = dataDir.resolve(FILE_NAME + ".new");
    Files.deleteIfExists(partial);
    try {
      Files.createFile(partial, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException notPosix) {
      Files.createFile(partial);
    }
    Files.writeString(partial, USER + ":" + password + "\n", StandardCharsets.UTF_8);
    Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return new StoreCredentials(USER, password);
  }

  /** The credentials in a file written by {@link #loadOrCreate}: {@code user:password}. */
  public static StoreCredentials read(Path file) throws IOException {
    String line = Files.readString(file, StandardCharsets.UTF_8).trim();
    int colon = line.indexOf(':');
    if (colon <= 0 || colon == line.length() - 1) {
      throw new IOException(file + " is not 'user:password'");
    }
    return new StoreCredentials(line.substring(0, colon), line.substring(colon + 1));
  }

  /** {@code uri} (a {@code mongodb://host:port…} without credentials) with these credentials in it. */
  public String into(String uri) {
    String rest = uri.substring("mongodb://".length());
    String options = "authSource=admin&authMechanism=SCRAM-SHA-256";
    int query = rest.indexOf('?');
    String hosts = query < 0 ? rest : rest.substring(0, query);
    if (hosts.endsWith("/")) {
      hosts = hosts.substring(0, hosts.length() - 1);
    }
    String given = query < 0 ? "" : rest.substring(query + 1);
    return "mongodb://" + user + ":" + password + "@" + hosts + "/?" + (given.isEmpty() ? options : given + "&" + options);
  }

  @Override
  public String toString() {
    return "StoreCredentials[user=" + user + "]";
  }
}
