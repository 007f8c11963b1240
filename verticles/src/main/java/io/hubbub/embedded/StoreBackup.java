package io.hubbub.embedded;

import io.vertx.core.json.JsonObject;
import org.h2.mvstore.MVStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.locks.Lock;

/**
 * Backups of the embedded store, taken while it serves, and their checks.
 *
 * <p>The H2 file is copy-on-write: each commit appends chunks and only then points the file's header at them. A
 * backup takes the store's command gate for an instant (no command is half applied then), commits, stops the store
 * reusing free space (from then on it only appends) and notes the file's length and its header; it copies the file
 * up to that length and writes the noted header over the copy's, then lets the store reuse space again. The copy is
 * the store as of that commit: every event whole, every stream's seqs gapless, the indexes agreeing with the
 * documents. Beside it, {@value #MANIFEST} holds its size and SHA-256, so a restore knows a backup from any folder.
 */
public final class StoreBackup {

  public static final String MANIFEST = "hubbub-backup.json";
  /** The two H2 file-header blocks. */
  private static final int HEADER_BYTES = 2 * 4096;

  private StoreBackup() {
  }

  /** What a backup folder's manifest says. */
  public record Manifest(int format, String createdAt, long bytes, String sha256) {
    JsonObject toJson() {
      return new JsonObject().put("hubbub", "backup").put("format", format).put("createdAt", createdAt)
        .put("file", EmbeddedStore.FILE_NAME).put("bytes", bytes).put("sha256", sha256);
    }
  }

  /** Writes a backup of the open store into a new (or empty) folder. Blocking: file I/O. */
  static Manifest write(MVStore store, Lock gate, Path dir) throws IOException {
    Files.createDirectories(dir);
    Path target = dir.resolve(EmbeddedStore.FILE_NAME);
    if (Files.exists(target) || Files.exists(dir.resolve(MANIFEST))) {
      throw new IOException(dir.toAbsolutePath() + " holds a backup already: give each backup a folder of its own");
    }
    Path source = Path.of(store.getFileStore().getFileName());
    boolean reused = store.isSpaceReused();
    long length;
    ByteBuffer header;
    gate.lock();
    try {
      store.commit();
      store.sync();
      store.setReuseSpace(false);
      try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
        length = in.size();
        header = ByteBuffer.allocate((int) Math.min(length, HEADER_BYTES));
        while (header.hasRemaining() && in.read(header, header.position()) > 0) {
          // reads the header blocks whole
        }
        header.flip();
      }
    } finally {
      gate.unlock();
    }
    Path partial = dir.resolve(EmbeddedStore.FILE_NAME + ".partial");
    try {
      try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
           FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        for (long copied = 0; copied < length; ) {
          copied += in.transferTo(copied, length - copied, out);
        }
        for (long at = 0; header.hasRemaining(); ) {
          at += out.write(header, at);
        }
        out.force(true);
      }
    } finally {
      store.setReuseSpace(reused);
    }
    Manifest manifest = new Manifest(1, Instant.now().toString(), length, sha256(partial));
    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    Files.writeString(dir.resolve(MANIFEST), manifest.toJson().encodePrettily());
    return manifest;
  }

  /**
   * The manifest of a backup folder, once the file is there whole (its size and SHA-256) and opens as a store;
   * an {@link IOException} saying why a folder is not a backup otherwise.
   */
  public static Manifest verify(Path dir) throws IOException {
    Path manifestFile = dir.resolve(MANIFEST);
    Path file = dir.resolve(EmbeddedStore.FILE_NAME);
    if (!Files.isRegularFile(manifestFile) || !Files.isRegularFile(file)) {
      throw new IOException(dir.toAbsolutePath() + " is not a Hubbub backup (it has no " + MANIFEST + " and " + EmbeddedStore.FILE_NAME + ")");
    }
    JsonObject json;
    try {
      json = new JsonObject(Files.readString(manifestFile));
    } catch (RuntimeException e) {
      throw new IOException(manifestFile.toAbsolutePath() + " is not a backup manifest", e);
    }
    if (!"backup".equals(json.getValue("hubbub")) || !(json.getValue("bytes") instanceof Number bytes)
      || !(json.getValue("sha256") instanceof String sha)) {
      throw new IOException(manifestFile.toAbsolutePath() + " is not a backup manifest");
    }
    if (Files.size(file) != bytes.longValue() || !sha256(file).equals(sha)) {
      throw new IOException("the backup in " + dir.toAbsolutePath() + " is damaged: its file is not the one its manifest describes");
    }
    MVStore opened = new MVStore.Builder().fileName(file.toString()).readOnly().open();
    opened.close();
    return new Manifest(json.getInteger("format", 1), json.getString("createdAt"), bytes.longValue(), sha);
  }

  private static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
