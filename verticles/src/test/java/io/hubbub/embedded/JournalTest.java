package io.hubbub.embedded;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The embedded store's write-ahead journal on its own: records, group commit, segments, and what a crash leaves. */
class JournalTest {

  private static final UUID STORE = UUID.randomUUID();

  @TempDir
  Path dir;

  @Test
  void recordsReadBackInOrderAfterTheirSeq() throws Exception {
    try (Journal journal = Journal.open(dir, STORE, 10)) {
      for (int i = 0; i < 5; i++) {
        CompletableFuture<Void> durable = journal.append("db" + i, "insert", bson("record " + i), 1_000L + i, true);
        journal.sync(i % 2 == 0); // written here, or by the writer thread
        durable.get(10, TimeUnit.SECONDS);
      }
      assertThat(journal.append("db", "update", bson("not awaited"), 2_000L, false)).isNull();
      assertThat(journal.lastSeq()).isEqualTo(16);
    }
    List<Journal.Entry> read = replay(10);
    assertThat(read).extracting(Journal.Entry::seq).containsExactly(11L, 12L, 13L, 14L, 15L, 16L);
    assertThat(read.get(2).database()).isEqualTo("db2");
    assertThat(read.get(2).command()).isEqualTo("insert");
    assertThat(read.get(2).timeMillis()).isEqualTo(1_002L);
    assertThat(text(read.get(2))).isEqualTo("record 2");
    assertThat(text(read.get(5))).isEqualTo("not awaited");
    assertThat(replay(14)).extracting(Journal.Entry::seq).containsExactly(15L, 16L);
    assertThat(Journal.replay(dir, STORE, 16, entry -> { })).isEqualTo(16);
  }

  @Test
  void concurrentWritersShareSyncs() throws Exception {
    int writers = 8;
    int each = 200;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try (Journal journal = Journal.open(dir, STORE, 0)) {
      List<Future<?>> done = new ArrayList<>();
      Object order = new Object(); // the store's write lock: appends one at a time
      for (int w = 0; w < writers; w++) {
        int writer = w;
        done.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            CompletableFuture<Void> durable;
            synchronized (order) {
              durable = journal.append("db", "insert", bson(writer + ":" + i), 0, true);
            }
            journal.sync(writer % 2 == 0); // leaders and the writer thread, each writing what others appended
            durable.join();
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<Journal.Entry> read = replay(0);
    assertThat(read).hasSize(writers * each);
    for (int i = 0; i < read.size(); i++) {
      assertThat(read.get(i).seq()).isEqualTo(i + 1);
    }
  }

  /** A write that finds no group being written is written and synced by its own thread, before sync returns. */
  @Test
  void aLoneWriteIsSyncedByItsOwnThread() throws Exception {
    try (Journal journal = Journal.open(dir, STORE, 0)) {
      for (int i = 0; i < 20; i++) {
        CompletableFuture<Void> durable = journal.append("db", "insert", bson("alone " + i), 0, true);
        journal.sync(true);
        assertThat(durable).isCompleted();
      }
      CompletableFuture<Void> durable = journal.append("db", "insert", bson("to the writer"), 0, true);
      journal.sync(false);
      durable.get(10, TimeUnit.SECONDS);
    }
    assertThat(replay(0)).extracting(JournalTest::text).hasSize(21).endsWith("alone 19", "to the writer");
  }

  @Test
  void aTornLastRecordIsWhereReadingStops() throws Exception {
    try (Journal journal = Journal.open(dir, STORE, 0)) {
      for (int i = 0; i < 3; i++) {
        written(journal, "r" + i);
      }
    }
    Path segment = Journal.segments(dir).get(0);
    try (FileChannel file = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      file.truncate(file.size() - 3); // the last write of a crash, cut short
    }
    assertThat(replay(0)).extracting(Journal.Entry::seq).containsExactly(1L, 2L);

    try (FileChannel file = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      file.truncate(file.size() - 48); // records here are 38 bytes: the cut now lands inside the second
    }
    assertThat(replay(0)).extracting(Journal.Entry::seq).containsExactly(1L);
  }

  @Test
  void damageBeforeTheEndIsRefused() throws Exception {
    try (Journal journal = Journal.open(dir, STORE, 0)) {
      written(journal, "first");
      written(journal, "second");
    }
    Path segment = Journal.segments(dir).get(0);
    byte[] bytes = Files.readAllBytes(segment);
    bytes[24 + 8 + 20] ^= 0x40; // inside the first record's payload
    Files.write(segment, bytes);
    assertThatThrownBy(() -> replay(0)).isInstanceOf(IOException.class)
      .hasMessageContaining("damaged").hasMessageContaining(segment.getFileName().toString());
  }

  @Test
  void anotherStoresJournalIsRefused() throws Exception {
    try (Journal journal = Journal.open(dir, STORE, 0)) {
      written(journal, "theirs");
    }
    assertThatThrownBy(() -> Journal.replay(dir, UUID.randomUUID(), 0, entry -> { }))
      .isInstanceOf(IOException.class).hasMessageContaining("belongs to another store");
  }

  @Test
  void segmentsRotateAndGoOnceACheckpointHoldsThem() throws Exception {
    try (Journal journal = Journal.open(dir, STORE, 0)) {
      written(journal, "a");
      written(journal, "b");
      journal.rotate();
      written(journal, "c");
      journal.rotate();
      written(journal, "d");
      assertThat(Journal.segments(dir)).extracting(p -> p.getFileName().toString())
        .containsExactly(Journal.name(1), Journal.name(3), Journal.name(4));

      journal.dropThrough(2); // holds a and b: the first segment goes
      assertThat(Journal.segments(dir)).extracting(p -> p.getFileName().toString())
        .containsExactly(Journal.name(3), Journal.name(4));
      journal.dropThrough(3);
      assertThat(Journal.segments(dir)).extracting(p -> p.getFileName().toString()).containsExactly(Journal.name(4));
      journal.dropThrough(Long.MAX_VALUE); // never the segment being written
      assertThat(Journal.segments(dir)).hasSize(1);
    }
    assertThat(replay(3)).extracting(Journal.Entry::seq).containsExactly(4L);
  }

  @Test
  void aMissingSegmentIsAGap() throws Exception {
    try (Journal journal = Journal.open(dir, STORE, 0)) {
      written(journal, "a");
      journal.rotate();
      written(journal, "b");
      journal.rotate();
      written(journal, "c");
    }
    Files.delete(dir.resolve(Journal.name(2)));
    assertThatThrownBy(() -> replay(0)).isInstanceOf(IOException.class).hasMessageContaining("records are missing");
    assertThat(replay(2)).extracting(Journal.Entry::seq).containsExactly(3L); // what a checkpoint at 2 needs is there
  }

  @Test
  void aRetiredSegmentIsWrittenOverAndItsOldRecordsAreNotRead() throws Exception {
    Path first = dir.resolve(Journal.name(1));
    Path spare = dir.resolve(Journal.SPARE);
    try (Journal journal = Journal.open(dir, STORE, 0)) {
      written(journal, "a1");
      written(journal, "b1");
      written(journal, "c1");
      long retiredSize = Files.size(first);
      journal.rotate();
      written(journal, "d1");
      journal.dropThrough(3); // a checkpoint holds a, b and c: their segment becomes the spare
      assertThat(first).doesNotExist();
      assertThat(spare).exists().hasSize(retiredSize);
      journal.rotate();
      written(journal, "e1"); // written over the spare: records of the same size, so an old one starts where e ends
      Path fifth = dir.resolve(Journal.name(5));
      assertThat(spare).doesNotExist();
      assertThat(Files.size(fifth)).isEqualTo(retiredSize);
      assertThat(new String(Files.readAllBytes(fifth), StandardCharsets.ISO_8859_1)).contains("e1", "b1", "c1");
    }
    assertThat(replay(3)).extracting(JournalTest::text).containsExactly("d1", "e1");
    assertThat(Journal.segments(dir)).extracting(p -> p.getFileName().toString())
      .containsExactly(Journal.name(4), Journal.name(5));
  }

  @Test
  void aTornWriteOverOldRecordsEndsTheLastSegment() throws Exception {
    try (Journal journal = Journal.open(dir, STORE, 0)) {
      for (String text : List.of("a1", "b1", "c1", "d1")) {
        written(journal, text);
      }
      journal.rotate();
      written(journal, "e1");
      journal.dropThrough(4);
      journal.rotate();
      written(journal, "f1");
      written(journal, "g1");
    }
    Path last = dir.resolve(Journal.name(6));
    byte[] bytes = Files.readAllBytes(last);
    int g = 32 + 38; // header, then f: g is the second record
    java.util.Arrays.fill(bytes, g + 20, g + 38, (byte) 0); // its last page never reached the disk
    Files.write(last, bytes);
    assertThat(replay(4)).extracting(JournalTest::text).containsExactly("e1", "f1"); // old c1 and d1 follow: not read
  }

  @Test
  void aSegmentEndingShortOfTheNextIsAGap() throws Exception {
    try (Journal journal = Journal.open(dir, STORE, 0)) {
      written(journal, "a1");
      written(journal, "b1");
      written(journal, "c1");
      journal.rotate();
      written(journal, "d1");
    }
    try (FileChannel file = FileChannel.open(dir.resolve(Journal.name(1)), StandardOpenOption.WRITE)) {
      file.truncate(file.size() - 38); // c, the last record of a segment a later one follows, is gone
    }
    assertThatThrownBy(() -> replay(0)).isInstanceOf(IOException.class).hasMessageContaining("records are missing")
      .hasMessageContaining("end at seq 2");
    assertThat(replay(3)).extracting(Journal.Entry::seq).containsExactly(4L); // a checkpoint at 3 holds c
  }

  @Test
  void aJournalThatCannotWriteAnswersNoWrite() throws Exception {
    Journal journal = Journal.open(dir, STORE, 0);
    written(journal, "ok");
    journal.close();
    assertThatThrownBy(() -> journal.append("db", "insert", bson("late"), 0, true))
      .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  private static void written(Journal journal, String text) throws Exception {
    CompletableFuture<Void> durable = journal.append("db", "insert", bson(text), 0, true);
    journal.sync(true);
    durable.get(10, TimeUnit.SECONDS);
  }

  private List<Journal.Entry> replay(long after) throws IOException {
    List<Journal.Entry> read = new ArrayList<>();
    Journal.replay(dir, STORE, after, read::add);
    return read;
  }

  private static ByteBuf bson(String text) {
    return Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String text(Journal.Entry entry) {
    return entry.bson().toString(StandardCharsets.UTF_8);
  }
}
