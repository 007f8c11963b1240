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
import java.util.concurrent.Callable;

/**
 * Backups of the embedded store, taken while it serves, and their checks.
 *
 * <p>The H2 file is copy-on-write: each commit appends chunks and only then points the file's header at them. A
 * backup holds the store's writes for an instant, right after a synced checkpoint (the file then holds every write
 * answered, and no write is half applied), stops the store
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

  /** Runs an action with the store's writes held, right after a synced checkpoint of every write applied. */
  interface Checkpointed {
    <T> T atCheckpoint(Callable<T> action) throws Exception;
  }

  /** The file's length and header blocks at the backup's commit. */
  private record Frozen(long length, ByteBuffer header) {
  }

  /** Writes a backup of the open store into a new (or empty) folder. Blocking: file I/O. */
  static Manifest write(MVStore store, Checkpointed checkpoints, Path dir) throws Exception {
    Files.createDirectories(dir);
    Path target = dir.resolve(EmbeddedStore.FILE_NAME);
    if (Files.exists(target) || Files.exists(dir.resolve(MANIFEST))) {
      throw new IOException(dir.toAbsolutePath() + " holds a backup already: give each backup a folder of its own");
    }
    Path source = Path.of(store.getFileStore().getFileName());
    boolean reused = store.isSpaceReused();
    Frozen frozen = checkpoints.atCheckpoint(() -> {
      store.setReuseSpace(false);
      try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
        ByteBuffer blocks = ByteBuffer.allocate((int) Math.min(in.size(), HEADER_BYTES));
        while (blocks.hasRemaining() && in.read(blocks, blocks.position()) > 0) {
          // reads the header blocks whole
        }
        return new Frozen(in.size(), blocks.flip());
      }
    });
    long length = frozen.length();
    ByteBuffer header = frozen.header();
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
