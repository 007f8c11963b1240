import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * Why the embedded store's journal writes its segments over a retired one: 200-byte writes each followed by
 * {@code fdatasync} ({@code force(false)}), appended to a file that grows, against the same written over a file's
 * existing blocks (64 MB written and synced first). A sync of a growing file also commits the file system's metadata
 * (the size, the new blocks); one of bytes written over does not. Three rounds of each, alternated.
 *
 * <p>A single-file program: {@code java bench/micro/OverwriteSyncBench.java <folder on the disk to measure> [seconds]}.
 */
public class OverwriteSyncBench {

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    for (int round = 0; round < 3; round++) {
      Path appended = dir.resolve("overwrite-sync-bench-append-" + round);
      try (FileChannel channel = FileChannel.open(appended, CREATE_NEW, WRITE, APPEND)) {
        System.out.printf("round %d: appended     %,8.0f synced writes/s%n", round, run(channel, seconds));
      } finally {
        Files.deleteIfExists(appended);
      }
      Path over = dir.resolve("overwrite-sync-bench-over-" + round);
      try (FileChannel channel = FileChannel.open(over, CREATE_NEW, WRITE)) {
        ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
        for (int i = 0; i < 64; i++) {
          zeros.clear();
          while (zeros.hasRemaining()) {
            channel.write(zeros);
          }
        }
        channel.force(true);
        channel.position(0);
        System.out.printf("round %d: written over %,8.0f synced writes/s%n", round, run(channel, seconds));
      } finally {
        Files.deleteIfExists(over);
      }
    }
  }

  private static double run(FileChannel channel, int seconds) throws Exception {
    ByteBuffer record = ByteBuffer.allocate(200);
    long count = 0;
    long start = System.nanoTime();
    long end = start + seconds * 1_000_000_000L;
    while (System.nanoTime() < end) {
      record.clear();
      while (record.hasRemaining()) {
        channel.write(record);
      }
      channel.force(false);
      count++;
    }
    return count / ((System.nanoTime() - start) / 1e9);
  }
}
