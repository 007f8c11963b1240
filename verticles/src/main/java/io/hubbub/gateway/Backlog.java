package io.hubbub.gateway;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The slow-consumer accounting of one socket's live delivery ({@link LiveFanout}): bytes written and not
 * yet handed to the network, whether delivery is paused, and where each stream stopped while paused.
 * Delivery pauses when a frame would take the socket past {@code maxBytes} (unless nothing is queued: one
 * frame always goes), and goes on once the queue drains to half of it. Pure bookkeeping, no I/O.
 */
final class Backlog {

  enum Admit {
    /** Write the frame (it is counted as queued). */
    SEND,
    /** Delivery paused just now: skip this frame. */
    PAUSED,
    /** Delivery is paused: skip this frame. */
    SKIP
  }

  private final long maxBytes;
  private long queued;
  private boolean paused;
  /** Streams that skipped events since delivery paused, with the last seq sent before. */
  private final Map<String, Long> skipped = new LinkedHashMap<>();

  Backlog(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Whether a frame of {@code size} bytes is written now. */
  Admit admit(int size) {
    if (!paused && queued > 0 && queued + size > maxBytes) {
      paused = true;
      return Admit.PAUSED;
    }
    if (paused) {
      return Admit.SKIP;
    }
    queued += size;
    return Admit.SEND;
  }

  /**
   * Records that a stream's event {@code seq} was skipped; {@code previous} is the stream's last event before it
   * (what sockets not paused were sent). Answers the last seq this socket got when this is the stream's first
   * skip since the pause (to tell the client), else -1.
   */
  long skip(String stream, long previous, long seq) {
    if (skipped.containsKey(stream)) {
      return -1;
    }
    long sent = previous > 0 && previous < seq ? previous : seq - 1;
    skipped.put(stream, sent);
    return sent;
  }

  /**
   * A frame of {@code size} bytes reached the network. When that resumes delivery, answers the streams that
   * skipped events with the last seq sent of each (to tell the client), else an empty map.
   */
  Map<String, Long> written(int size) {
    queued -= size;
    if (!paused || queued > maxBytes / 2) {
      return Map.of();
    }
    paused = false;
    Map<String, Long> resumed = new LinkedHashMap<>(skipped);
    skipped.clear();
    return resumed;
  }

  /** The socket no longer follows the stream. */
  void forget(String stream) {
    skipped.remove(stream);
  }

  long queued() {
    return queued;
  }

  boolean paused() {
    return paused;
  }
}
