package io.hubbub.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The disk's own limits, the ceiling durable appends are read against, measured in the folder the store uses:
 * small appends each made durable ({@code fdatasync}, {@link FileChannel#force force(false)}) per second, and large
 * appends made durable, in MB/s.
 */
final class DiskLimits {

  private DiskLimits() {
  }

  /** 200-byte appends, each followed by fdatasync, per second. */
  static double smallSyncedAppends(Path dir, int seconds) throws IOException {
    double rate = appends(dir, 200, seconds) / (double) seconds;
    System.out.printf("  disk: 200-byte appends, each fdatasync'd: %,.0f/s%n", rate);
    return rate;
  }

  /** 200 KB appends, each followed by fdatasync, in MB/s. */
  static double largeSyncedAppendsMb(Path dir, int seconds) throws IOException {
    double mb = appends(dir, 200 * 1024, seconds) * 200 * 1024 / 1e6 / seconds;
    System.out.printf("  disk: 200 KB appends, each fdatasync'd: %,.1f MB/s%n", mb);
    return mb;
  }

  private static long appends(Path dir, int size, int seconds) throws IOException {
    Path file = dir.resolve("disk-probe-" + size);
    ByteBuffer block = ByteBuffer.allocateDirect(size);
    long count = 0;
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      long end = System.nanoTime() + seconds * 1_000_000_000L;
      while (System.nanoTime() < end) {
        block.clear();
        while (block.hasRemaining()) {
          out.write(block);
        }
        out.force(false);
        count++;
      }
    } finally {
      Files.deleteIfExists(file);
    }
    return count;
  }
}
