package io.hubbub.storage;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The ids the server makes for events published without one: version 8 UUIDs (RFC 9562) carrying the event's seq
 * and 62 random bits. The seq says where such an event is stored, so its id needs no entry in the store's unique
 * index of ids ({@link EventStore}): a publisher that gives an id reading as one ({@link #seqOf}) has it looked up
 * at that seq ({@link GroupCommit}), and the stream holding it there answers it as a duplicate, as for any id.
 *
 * <p>Layout (most significant first): the seq's high 48 bits, the version 8, the seq's low 12 bits; the variant
 * {@code 10}, 62 random bits. Seqs up to {@link #MAX_SEQ}; past it (a stream of 2^60 events) an event's id is
 * {@link #indexed} instead.
 */
final class MadeIds {

  /** The highest seq an id carries. */
  static final long MAX_SEQ = (1L << 60) - 1;

  private MadeIds() {
  }

  /** The id of the event stored at {@code seq} (1 to {@link #MAX_SEQ}), with fresh random bits. */
  static String of(long seq) {
    if (seq < 1 || seq > MAX_SEQ) {
      throw new IllegalArgumentException("no made id carries seq " + seq);
    }
    long msb = ((seq >>> 12) << 16) | 0x8000L | (seq & 0xFFFL);
    long lsb = (ThreadLocalRandom.current().nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb).toString();
  }

  /**
   * The seq an id carries when it reads as one {@link #of} makes (a version 8 UUID in its canonical lowercase form,
   * its seq 1 or more), else -1: then it is not one.
   */
  static long seqOf(String id) {
    if (id.length() != 36 || id.charAt(14) != '8') {
      return -1;
    }
    UUID uuid;
    try {
      uuid = UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      return -1;
    }
    if (uuid.version() != 8 || uuid.variant() != 2 || !uuid.toString().equals(id)) {
      return -1;
    }
    long msb = uuid.getMostSignificantBits();
    long seq = ((msb >>> 16) << 12) | (msb & 0xFFFL);
    return seq >= 1 ? seq : -1;
  }

  /**
   * An id for an event whose seq no made id carries (past {@link #MAX_SEQ}): a random version 4 UUID, which goes into
   * the index of ids as a publisher's does.
   */
  static String indexed() {
    return UUID.randomUUID().toString();
  }
}
