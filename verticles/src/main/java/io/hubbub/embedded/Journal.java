package io.hubbub.embedded;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The embedded store's write-ahead journal: every write command, in the order the store applied them, appended
 * to a segment file and made durable by one {@code fdatasync} for all the records that arrived while the previous
 * one ran (group commit). A write is answered once its record is durable; the store's B-trees are written later,
 * at checkpoints, and a segment is deleted once a checkpoint holds all of its records.
 *
 * <p>A group is written by the thread whose write finds none being written ({@link #sync}: the leader, as a
 * database's committing thread is), or else by the journal's own writer thread once the group being written is
 * done: a write that arrives alone is answered without two threads woken on its way, and writes arriving together
 * still share one {@code fdatasync}.
 *
 * <p>A segment ({@code journal/<first seq>.wal}) starts with a header (magic, format, the store's id, so a
 * journal is never replayed into another store's file, and the segment's salt) followed by records:
 * {@code [length][CRC32C of salt and payload][seq, time, database, command, BSON]}.
 *
 * <p>Segments are recycled, as PostgreSQL recycles its WAL files: a segment a checkpoint no longer needs becomes the
 * spare ({@value #SPARE}), and the next segment is written over it instead of growing a new file. An
 * {@code fdatasync} of bytes written over a file's existing blocks does not commit the file system's metadata (its
 * size, its new blocks), which one that grows a file must: on this project's ext4 disk, 200-byte writes each synced
 * ran ~11,000/s written over, ~8,000/s appended. A new salt each time the spare is taken tells its old records from
 * the new ones: theirs do not match their checksums under it. So a segment's records end at the first that does not
 * read; a record that does not read but is followed by one that does is damage, and so is a segment that ends short
 * of the seq its successor starts after. After a crash the last records of the last segment may be torn (they were
 * never answered): reading stops there. Anything else that does not read is damage, and the store refuses to start.
 * Segments of the first format (no salt, never recycled) end at their file's end, as they always did.
 */
final class Journal implements AutoCloseable {

  static final String DIR = "journal";
  static final String SUFFIX = ".wal";
  private static final int MAGIC = 0x48424a4c; // "HBJL"
  /** Segments without a salt, each a file of its own that ends where its records end. */
  private static final int FORMAT_UNSALTED = 1;
  private static final int FORMAT = 2;
  private static final int HEADER_BYTES_UNSALTED = 4 + 4 + 16;
  private static final int HEADER_BYTES = HEADER_BYTES_UNSALTED + 8;
  /** The segment kept for the next one to be written over; never read as a segment (its name is not one). */
  static final String SPARE = "spare.wal.recycled";
  /** A record larger than this is damage (MongoDB's largest message is 48 MB). */
  private static final int MAX_RECORD = 64 << 20;
  private static final Logger log = LoggerFactory.getLogger(Journal.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A record read back: the write command the store applied as number {@code seq}, at {@code timeMillis}. */
  record Entry(long seq, long timeMillis, String database, String command, ByteBuf bson) {
  }

  /** A reply waiting for its record to be durable. */
  private record Waiter(long seq, CompletableFuture<Void> durable) {
  }

  /** The records to write as one group, up to {@code upTo}, in a new segment if {@code newSegment}. */
  private record Group(ByteBuf batch, long upTo, boolean newSegment) {
  }

  private final Path dir;
  private final UUID storeId;
  private final Thread writer;
  private final Object lock = new Object();
  // guarded by lock
  private ByteBuf pending = Unpooled.buffer(1 << 16);
  private ByteBuf spare = Unpooled.buffer(1 << 16);
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private long lastSeq;
  private boolean rotate;
  private boolean closed;
  /** A group is being written and synced, by the writer thread or a leader: no other may start. */
  private boolean syncing;
  private IOException failure;
  private long bytesSinceRotation;
  // whoever writes a group's (syncing)
  private FileChannel segment;
  private byte[] salt;
  /** Guards the spare segment: taken by whoever writes a group, given back by the checkpoint's {@link #dropThrough}. */
  private final Object spareLock = new Object();
  private volatile long durableSeq;

  private Journal(Path dir, UUID storeId, long lastSeq) throws IOException {
    this.dir = dir;
    this.storeId = storeId;
    this.lastSeq = lastSeq;
    this.durableSeq = lastSeq;
    this.segment = create(lastSeq + 1);
    this.writer = new Thread(this::writeLoop, "hubbub-journal");
    writer.setDaemon(true);
    writer.start();
  }

  /** Opens the journal for appending after {@code lastSeq}, in a new segment (the folder holds nothing later). */
  static Journal open(Path dir, UUID storeId, long lastSeq) throws IOException {
    Files.createDirectories(dir);
    return new Journal(dir, storeId, lastSeq);
  }

  /**
   * Appends a write command the store has just applied; the caller holds the store's write lock, so records are in
   * the order of application. Answers a future completed once the record is durable (failed if the journal cannot
   * write), or null when {@code awaitDurable} is false (the writer thread writes it with the next group all the
   * same). The caller of an awaited append calls {@link #sync} once it has let go of the store's lock.
   */
  CompletableFuture<Void> append(String database, String command, ByteBuf bson, long timeMillis, boolean awaitDurable) {
    synchronized (lock) {
      check();
      long seq = ++lastSeq;
      int start = pending.writerIndex();
      pending.writeInt(0).writeInt(0);
      int payload = pending.writerIndex();
      pending.writeLong(seq).writeLong(timeMillis);
      writeString(pending, database);
      writeString(pending, command);
      pending.writeBytes(bson, bson.readerIndex(), bson.readableBytes());
      int length = pending.writerIndex() - payload;
      pending.setInt(start, length); // the checksum is the segment's it lands in: set when the group is written
      bytesSinceRotation += length + 8;
      CompletableFuture<Void> durable = null;
      if (awaitDurable) {
        durable = new CompletableFuture<>();
        waiters.add(new Waiter(seq, durable));
      } else {
        lock.notifyAll();
      }
      return durable;
    }
  }

  /** Throws if nothing can be appended any more: the journal failed to write, or is closed. */
  void check() {
    synchronized (lock) {
      if (failure != null || closed) {
        throw new IllegalStateException("the embedded store's journal " + (closed ? "is closed" : "failed: " + failure.getMessage()));
      }
    }
  }

  /** The seq of the last record appended (applied by the store, durable or not yet). */
  long lastSeq() {
    synchronized (lock) {
      return lastSeq;
    }
  }

  /** Bytes appended since the last {@link #rotate()}: a checkpoint is due when they grow large. */
  long bytesSinceRotation() {
    synchronized (lock) {
      return bytesSinceRotation;
    }
  }

  /**
   * Gets the records appended so far written and synced: on this thread when {@code here} and no group is being
   * written (nor a new segment due), which then completes their futures before it returns; else by the writer thread,
   * woken for them (once the group being written is done, if one is). A failure to write is the futures'.
   */
  void sync(boolean here) {
    Group group;
    synchronized (lock) {
      if (!here || syncing || rotate || closed || failure != null || pending.readableBytes() == 0) {
        lock.notifyAll();
        return;
      }
      group = takeGroup();
    }
    writeGroup(group);
  }

  /** Starts a new segment with the next group written, so that older segments can be deleted by {@link #dropThrough}. */
  void rotate() {
    synchronized (lock) {
      rotate = true;
      bytesSinceRotation = 0;
      lock.notifyAll();
    }
  }

  /**
   * Retires the segments whose records all have seqs up to {@code seq} (a durable checkpoint holds them): the largest
   * becomes the spare the next segment is written over, unless the spare is larger; the others are deleted.
   */
  void dropThrough(long seq) throws IOException {
    synchronized (spareLock) {
      List<Path> segments = segments(dir);
      Path spare = dir.resolve(SPARE);
      for (int i = 0; i + 1 < segments.size(); i++) {
        Path retired = segments.get(i);
        if (firstSeq(segments.get(i + 1)) - 1 <= seq) {
          if (!Files.exists(spare) || Files.size(retired) > Files.size(spare)) {
            Files.move(retired, spare, StandardCopyOption.REPLACE_EXISTING);
          } else {
            Files.deleteIfExists(retired);
          }
        }
      }
    }
  }

  private void writeLoop() {
    while (true) {
      Group group;
      synchronized (lock) {
        while (failure == null && (syncing || (pending.readableBytes() == 0 && !rotate && !closed))) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
        if (failure != null || (pending.readableBytes() == 0 && !rotate)) {
          return; // failed, or closed with everything written
        }
        group = takeGroup();
      }
      if (!writeGroup(group)) {
        return;
      }
    }
  }

  /** Takes what is pending as the next group to write, and the new segment if one is due; holds {@code lock}. */
  private Group takeGroup() {
    syncing = true;
    Group group = new Group(pending, lastSeq, rotate);
    pending = spare.clear();
    rotate = false;
    return group;
  }

  /** Writes and syncs one group ({@link #takeGroup} set {@code syncing}), then completes the futures of its records. */
  private boolean writeGroup(Group group) {
    ByteBuf batch = group.batch();
    long upTo = group.upTo();
    try {
      if (group.newSegment()) {
        segment.close();
        segment = create(durableSeq + 1);
      }
      for (int at = batch.readerIndex(); at < batch.writerIndex(); at += 8 + batch.getInt(at)) {
        batch.setInt(at + 4, checksum(salt, batch.nioBuffer(at + 8, batch.getInt(at))));
      }
      ByteBuffer bytes = batch.nioBuffer();
      while (bytes.hasRemaining()) {
        segment.write(bytes);
      }
      segment.force(false);
    } catch (IOException e) {
      fail(e);
      return false;
    }
    durableSeq = upTo;
    List<CompletableFuture<Void>> done = new ArrayList<>();
    synchronized (lock) {
      while (!waiters.isEmpty() && waiters.peek().seq() <= upTo) {
        done.add(waiters.poll().durable());
      }
      spare = batch.capacity() > (16 << 20) ? Unpooled.buffer(1 << 16) : batch.clear();
      syncing = false;
      if (pending.readableBytes() > 0 || rotate || closed) {
        lock.notifyAll(); // records that came while this group was written: the writer thread takes them
      }
    }
    done.forEach(durable -> durable.complete(null));
    return true;
  }

  private void fail(IOException e) {
    log.error("the embedded store's journal cannot write: no write is answered from now on; restart once the disk is fixed "
      + "[folder: {}, error: {}]", dir, e.toString());
    List<Waiter> failed;
    synchronized (lock) {
      failure = e;
      syncing = false;
      failed = List.copyOf(waiters);
      waiters.clear();
      lock.notifyAll(); // the writer thread stops
    }
    failed.forEach(waiter -> waiter.durable().completeExceptionally(e));
  }

  /** Writes what is pending, stops the writer and closes the segment. */
  @Override
  public void close() throws IOException {
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
    try {
      writer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    segment.close();
  }

  /**
   * Starts the segment whose first record will be {@code firstSeq}, over the spare when there is one: its header,
   * with a new salt, is made durable under the spare's name before the file takes the segment's, so a crash never
   * leaves a segment of old records under a new name.
   */
  private FileChannel create(long firstSeq) throws IOException {
    Path file = dir.resolve(name(firstSeq));
    byte[] newSalt = new byte[8];
    RANDOM.nextBytes(newSalt);
    ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(FORMAT)
      .putLong(storeId.getMostSignificantBits()).putLong(storeId.getLeastSignificantBits()).put(newSalt).flip();
    FileChannel channel;
    synchronized (spareLock) {
      Path spare = dir.resolve(SPARE);
      boolean recycled = Files.exists(spare);
      channel = recycled ? FileChannel.open(spare, StandardOpenOption.WRITE)
        : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
      try {
        while (header.hasRemaining()) {
          channel.write(header);
        }
        channel.force(!recycled);
        if (recycled) {
          Files.move(spare, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
      } catch (IOException e) {
        channel.close();
        throw e;
      }
    }
    syncDirectory(dir);
    salt = newSalt;
    return channel;
  }

  /** A record's CRC32C: of the segment's salt and the payload (of the payload alone in an unsalted segment). */
  private static int checksum(byte[] salt, ByteBuffer payload) {
    CRC32C crc = new CRC32C();
    if (salt != null) {
      crc.update(salt);
    }
    crc.update(payload);
    return (int) crc.getValue();
  }

  /** Makes a new file's name durable (its directory entry), where the platform allows it. */
  private static void syncDirectory(Path dir) {
    try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
      directory.force(true);
    } catch (IOException e) {
      log.debug("the journal folder cannot be synced on this platform [error: {}]", e.toString());
    }
  }

  static String name(long firstSeq) {
    return String.format("%019d%s", firstSeq, SUFFIX);
  }

  private static long firstSeq(Path segment) {
    String name = segment.getFileName().toString();
    return Long.parseLong(name.substring(0, name.length() - SUFFIX.length()));
  }

  /** The segment files of a journal folder, oldest first (none when it does not exist). */
  static List<Path> segments(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(file -> file.getFileName().toString().matches("\\d{19}" + java.util.regex.Pattern.quote(SUFFIX)))
        .sorted().toList();
    }
  }

  /** Something that reads a journal's entries, in order. */
  interface Replay {
    void apply(Entry entry);
  }

  /**
   * Reads the journal's records after {@code afterSeq}, in order, into {@code replay}, and answers the seq of the last
   * one (or {@code afterSeq} when there are none). Refuses ({@link IOException}) a journal of another store, one
   * with a gap after {@code afterSeq}, and one damaged anywhere but at the very end.
   */
  static long replay(Path dir, UUID storeId, long afterSeq, Replay replay) throws IOException {
    List<Path> segments = segments(dir);
    long last = afterSeq;
    for (int i = 0; i < segments.size(); i++) {
      Path file = segments.get(i);
      boolean lastSegment = i == segments.size() - 1;
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        readFully(channel, header, 0);
        header.flip();
        if (header.remaining() < HEADER_BYTES_UNSALTED) {
          if (lastSegment) {
            break; // created, its header never written whole: nothing in it was answered
          }
          throw damaged(file, 0, "its header is cut short");
        }
        int magic = header.getInt();
        int format = header.getInt();
        if (magic != MAGIC || (format != FORMAT && format != FORMAT_UNSALTED)) {
          throw damaged(file, 0, "it is not a journal segment of a format this version reads");
        }
        UUID owner = new UUID(header.getLong(), header.getLong());
        if (!owner.equals(storeId)) {
          throw new IOException("journal segment " + file + " belongs to another store file (store " + owner + ", this one "
            + storeId + "): a store file was replaced by hand without its journal folder; move " + dir.getFileName()
            + " aside to open the file as it is");
        }
        byte[] salt = null;
        long position = HEADER_BYTES_UNSALTED;
        if (format == FORMAT) {
          if (header.remaining() < 8) {
            if (lastSegment) {
              break;
            }
            throw damaged(file, 0, "its header is cut short");
          }
          salt = new byte[8];
          header.get(salt);
          position = HEADER_BYTES;
        }
        long segmentLast = firstSeq(file) - 1;
        while (true) {
          Read read = read(channel, position, salt);
          if (read.payload() == null) {
            String fault = endOrFault(channel, position, read, salt, lastSegment);
            if (fault != null) {
              throw damaged(file, position, fault);
            }
            break;
          }
          ByteBuf record = Unpooled.wrappedBuffer(read.payload());
          long seq = record.readLong();
          long time = record.readLong();
          String database = readString(record);
          String command = readString(record);
          if (seq > afterSeq) {
            if (seq != last + 1) {
              throw damaged(file, position, "record " + seq + " follows " + last + ": records are missing");
            }
            replay.apply(new Entry(seq, time, database, command, record));
            last = seq;
          } else if (last > afterSeq) {
            throw damaged(file, position, "record " + seq + " comes after " + last);
          }
          segmentLast = seq;
          position = read.next();
        }
        long successorAfter = lastSegment ? segmentLast : firstSeq(segments.get(i + 1)) - 1;
        if (segmentLast < successorAfter && successorAfter > afterSeq) {
          throw damaged(file, position, "its records end at seq " + segmentLast + " and the next segment's begin after "
            + successorAfter + ": records are missing");
        }
      }
    }
    return last;
  }

  /**
   * A record read at a position: its payload and where the next begins, or no payload and why ({@code fault}: null
   * at the file's end, else what is wrong; {@code wholeLength}: the payload's length when the frame and that many
   * bytes were there, else 0).
   */
  private record Read(ByteBuffer payload, long next, String fault, int wholeLength) {
  }

  private static Read read(FileChannel channel, long position, byte[] salt) throws IOException {
    ByteBuffer frame = ByteBuffer.allocate(8);
    readFully(channel, frame, position);
    if (frame.position() == 0) {
      return new Read(null, position, null, 0);
    }
    if (frame.hasRemaining()) {
      return new Read(null, position, "a record is cut short", 0);
    }
    frame.flip();
    int length = frame.getInt();
    int crc = frame.getInt();
    if (length < 16 || length > MAX_RECORD) {
      return new Read(null, position, "a record's length is " + length, 0);
    }
    ByteBuffer payload = ByteBuffer.allocate(length);
    readFully(channel, payload, position + 8);
    if (payload.hasRemaining()) {
      return new Read(null, position, "a record is cut short", 0);
    }
    payload.flip();
    if (checksum(salt, payload.duplicate()) != crc) {
      return new Read(null, position, "a record does not match its checksum", length);
    }
    return new Read(payload, position + 8 + length, null, length);
  }

  /**
   * Whether a segment's records may end where {@code read} found none (null) or what damage that is. A segment of
   * the first format ends at its file's end; the last one may end in a torn record that runs to the file's end. A
   * salted segment's records end at the first that does not read (what follows is a recycled file's old records or a
   * crash's torn writes, never answered) unless a whole record follows it that reads: then it is damage.
   */
  private static String endOrFault(FileChannel channel, long position, Read read, byte[] salt, boolean lastSegment)
    throws IOException {
    if (read.fault() == null) {
      return null;
    }
    if (salt == null) {
      boolean tornTail = read.wholeLength() == 0 || position + 8 + read.wholeLength() >= channel.size();
      return lastSegment && tornTail ? null : read.fault();
    }
    if (read.wholeLength() > 0) {
      Read after = read(channel, position + 8 + read.wholeLength(), salt);
      if (after.payload() != null) {
        return read.fault() + ", and the record after it does";
      }
    }
    return null;
  }

  private static IOException damaged(Path file, long position, String why) {
    return new IOException("journal segment " + file + " is damaged at byte " + position + " (" + why + "): the store "
      + "will not open over a damaged journal; restore a backup, or move the journal folder aside to open the store "
      + "as of its last checkpoint (losing the writes after it)");
  }

  /** Reads from {@code position} until the buffer is full or the file ends (the buffer then holds what there was). */
  private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        return;
      }
    }
  }

  private static void writeString(ByteBuf buf, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    buf.writeShort(bytes.length).writeBytes(bytes);
  }

  private static String readString(ByteBuf buf) throws IOException {
    int length = buf.readUnsignedShort();
    if (length > buf.readableBytes()) {
      throw new EOFException("a name runs past its record");
    }
    return buf.readCharSequence(length, StandardCharsets.UTF_8).toString();
  }
}
