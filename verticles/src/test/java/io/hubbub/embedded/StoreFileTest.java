package io.hubbub.embedded;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store file keeps the buffer a checkpoint past H2's 4 MB was written from, made with room for the next, up to its
 * limit; what it writes reads back.
 */
class StoreFileTest {

  private static final int MB = 1 << 20;

  @Test
  void aCheckpointPastFourMegabytesLeavesABufferWithRoomForTheNext(@TempDir Path dir) {
    Path file = dir.resolve("store.mv");
    StoreFile storeFile = new StoreFile(24 * MB);
    storeFile.open(file.toString(), false, null);
    MVStore store = new MVStore.Builder().adoptFileStore(storeFile).autoCommitDisabled().autoCommitBufferSize(0).open();
    MVMap<Long, byte[]> map = store.openMap("data");

    write(map, 0, 2 * MB);
    store.commit();
    assertThat(storeFile.keptCapacity()).as("a small checkpoint: H2 keeps its buffer").isZero();

    write(map, 100, 10 * MB);
    store.commit();
    int room = storeFile.keptCapacity();
    assertThat(room).as("room for a checkpoint of ~10 MB").isGreaterThan(10 * MB).isLessThanOrEqualTo(24 * MB);

    write(map, 200, 8 * MB);
    store.commit();
    assertThat(storeFile.keptCapacity()).as("the same buffer, not another").isEqualTo(room);

    write(map, 300, 40 * MB);
    store.commit();
    assertThat(storeFile.keptCapacity()).as("a larger checkpoint: a larger buffer, at most the limit").isEqualTo(24 * MB);
    store.close();

    MVStore reopened = new MVStore.Builder().fileName(file.toString()).readOnly().open();
    MVMap<Long, byte[]> read = reopened.openMap("data");
    assertThat(read.size()).isEqualTo(2 + 10 + 8 + 40);
    assertThat(read.get(300L + 39)).hasSize(MB).containsOnly((byte) 39);
    reopened.close();
  }

  /** {@code bytes / 1 MB} values of 1 MB under keys from {@code from}, each filled with its index. */
  private static void write(MVMap<Long, byte[]> map, long from, int bytes) {
    for (int i = 0; i < bytes / MB; i++) {
      byte[] value = new byte[MB];
      Arrays.fill(value, (byte) i);
      map.put(from + i, value);
    }
  }
}
