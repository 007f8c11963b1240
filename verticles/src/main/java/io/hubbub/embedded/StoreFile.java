package io.hubbub.embedded;

import org.h2.mvstore.SingleFileStore;
import org.h2.mvstore.WriteBuffer;

import java.util.Map;

/**
 * H2's store file, keeping the buffer a checkpoint is serialized into. H2 serializes each checkpoint's pages into one
 * {@link WriteBuffer} that starts at 1 MB and grows by half again each time it fills, and keeps a buffer for the next
 * only up to 4 MB: a checkpoint of a busy store (tens of MB) made a dozen arrays of up to its size, each a new
 * old-generation ("humongous") object to G1, which then started a marking cycle for each (profiled under batches of
 * 1,000 events: ~3 times the checkpoint's size in such arrays, every checkpoint). Here the buffer of a checkpoint that
 * outgrew 4 MB is followed by one made once with room for it, which the next checkpoints reuse (a {@link WriteBuffer}
 * made with a capacity keeps that array whatever it grows to after), at most {@link #maxKept} bytes.
 */
final class StoreFile extends SingleFileStore {

  /** H2's own limit on the buffers it keeps ({@code WriteBuffer}'s reuse limit). */
  static final int H2_KEPT = 4 << 20;

  private final int maxKept;
  /** The buffer for the next checkpoint, if any; all three fields under this object's lock. */
  private WriteBuffer kept;
  /** The buffer last made here, and the capacity it was made with (what it is back to once cleared). */
  private WriteBuffer made;
  private int madeRoom;

  /** @param maxKept the largest buffer kept between checkpoints, in bytes */
  StoreFile(int maxKept) {
    super(Map.of());
    this.maxKept = maxKept;
  }

  /** The largest buffer kept: an eighth of the heap (a checkpoint's buffer is in the heap beside everything else). */
  static int defaultMaxKept() {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(H2_KEPT, Runtime.getRuntime().maxMemory() / 8));
  }

  @Override
  public synchronized WriteBuffer getWriteBuffer() {
    WriteBuffer buffer = kept;
    kept = null;
    return buffer != null ? buffer.clear() : super.getWriteBuffer();
  }

  @Override
  public synchronized void releaseWriteBuffer(WriteBuffer buffer) {
    int capacity = buffer.capacity();
    if (capacity <= H2_KEPT) {
      super.releaseWriteBuffer(buffer); // H2 keeps it
      return;
    }
    WriteBuffer next = buffer;
    if (buffer != made || (capacity > madeRoom && madeRoom < maxKept)) {
      // H2's grew past 4 MB, or ours past its room: its array is let go at clear(), so one is made with room
      int room = (int) Math.min(maxKept, capacity + (long) capacity / 4);
      if (room <= H2_KEPT) {
        return;
      }
      next = new WriteBuffer(room);
      made = next;
      madeRoom = room;
    }
    kept = next; // ours, at its room again once cleared
  }

  /** The capacity of the buffer kept for the next checkpoint, 0 if none (for tests). */
  synchronized int keptCapacity() {
    return kept == null ? 0 : kept.capacity();
  }
}
