package io.hubbub.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The disk's own limits, the ceiling durable appends are read against, measured in the folder the store uses:
 * small appends each made durable ({@code fdatasync}, {@link FileChannel#force force(false)}) per second, the same
 * appends each asked for over loopback TCP by one client that waits for the answer (the most one publisher of any
 * store reached over the wire could do here, before any work of the store's own), and large appends made durable, in
 * MB/s.
 */
final class DiskLimits {

  private static final int SMALL = 200;
  private static final int ANSWER = 16;

  private DiskLimits() {
  }

  /**
   * 200-byte appends each followed by fdatasync, per second: {@code [by one thread, asked for over loopback TCP]}.
   * The two alternate in one-second slices, so that both see the disk as it is that second (it swings within a few).
   */
  static double[] smallSyncedAppends(Path dir, int seconds) throws IOException {
    Path direct = dir.resolve("disk-probe-small");
    Path served = dir.resolve("disk-probe-wire");
    long appends = 0;
    long requests = 0;
    try (FileChannel out = append(direct); ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread serving = new Thread(() -> serve(listener, served), "disk-probe-wire");
      serving.setDaemon(true);
      serving.start();
      try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
        client.setTcpNoDelay(true);
        OutputStream requestsOut = client.getOutputStream();
        DataInputStream answers = new DataInputStream(client.getInputStream());
        ByteBuffer block = ByteBuffer.allocateDirect(SMALL);
        byte[] request = new byte[SMALL];
        byte[] answer = new byte[ANSWER];
        for (int slice = 0; slice < seconds; slice++) {
          long end = System.nanoTime() + 1_000_000_000L;
          while (System.nanoTime() < end) {
            appendSynced(out, block.clear());
            appends++;
          }
          end = System.nanoTime() + 1_000_000_000L;
          while (System.nanoTime() < end) {
            requestsOut.write(request);
            answers.readFully(answer);
            requests++;
          }
        }
      }
      serving.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      Files.deleteIfExists(direct);
      Files.deleteIfExists(served);
    }
    double[] rates = {appends / (double) seconds, requests / (double) seconds};
    System.out.printf("  disk: 200-byte appends, each fdatasync'd: %,.0f/s; the same asked for over loopback TCP, one at a"
      + " time: %,.0f/s%n", rates[0], rates[1]);
    return rates;
  }

  /** 200 KB appends, each followed by fdatasync, in MB/s. */
  static double largeSyncedAppendsMb(Path dir, int seconds) throws IOException {
    Path file = dir.resolve("disk-probe-large");
    ByteBuffer block = ByteBuffer.allocateDirect(200 * 1024);
    long count = 0;
    try (FileChannel out = append(file)) {
      long end = System.nanoTime() + seconds * 1_000_000_000L;
      while (System.nanoTime() < end) {
        appendSynced(out, block.clear());
        count++;
      }
    } finally {
      Files.deleteIfExists(file);
    }
    double mb = count * block.capacity() / 1e6 / seconds;
    System.out.printf("  disk: 200 KB appends, each fdatasync'd: %,.1f MB/s%n", mb);
    return mb;
  }

  /** Answers each 200-byte request once it is appended and synced; returns when the client hangs up. */
  private static void serve(ServerSocket listener, Path file) {
    try (Socket socket = listener.accept(); FileChannel out = append(file)) {
      socket.setTcpNoDelay(true);
      DataInputStream requests = new DataInputStream(socket.getInputStream());
      OutputStream answers = socket.getOutputStream();
      byte[] request = new byte[SMALL];
      ByteBuffer block = ByteBuffer.allocateDirect(SMALL);
      while (true) {
        requests.readFully(request);
        appendSynced(out, block.clear().put(request).flip());
        answers.write(request, 0, ANSWER);
      }
    } catch (IOException e) {
      // the client hung up: the probe is over
    }
  }

  private static FileChannel append(Path file) throws IOException {
    return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  /** Appends the whole of {@code block} and makes it durable ({@code fdatasync}). */
  private static void appendSynced(FileChannel out, ByteBuffer block) throws IOException {
    while (block.hasRemaining()) {
      out.write(block);
    }
    out.force(false);
  }
}
