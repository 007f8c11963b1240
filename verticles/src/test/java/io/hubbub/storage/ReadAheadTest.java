package io.hubbub.storage;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which pages storage reads ahead, and how long it holds them: the bookkeeping alone, pages as strings. */
class ReadAheadTest {

  private static final long AGE = 10_000;

  private static ReadAhead.Key read(long from) {
    return new ReadAhead.Key("app.s", from, 100);
  }

  @Test
  void aReaderGoingOnGetsThePageAfterTheOneItAskedForReadAhead() {
    ReadAhead<String> ahead = new ReadAhead<>(8, AGE);
    assertThat(ahead.answered(read(1), 101, 1_000)).as("a first read: perhaps the only one").isNull();
    ReadAhead.Key following = ahead.answered(read(101), 201, 1_000);
    assertThat(following).as("a read from where a page ended: a reader going on").isEqualTo(read(201));
    ahead.put(following, "201..300", 1_000, 0);

    assertThat(ahead.take(read(201), 5).page()).isEqualTo("201..300");
    ahead.served();
    assertThat(ahead.take(read(201), 5)).as("taken once").isNull();
    assertThat(ahead.answered(read(201), 301, 1_000)).as("and on").isEqualTo(read(301));
    assertThat(ahead.taken()).isEqualTo(1);
    assertThat(ahead.dropped()).isZero();
  }

  @Test
  void nothingIsReadAheadPastTheEndForAnotherLimitOrWhenOff() {
    ReadAhead<String> ahead = new ReadAhead<>(8, AGE);
    ahead.answered(read(1), 101, 150);
    assertThat(ahead.answered(read(101), 151, 150)).as("the page reached the last seq: what comes next is live").isNull();
    ahead.answered(read(1), 101, 1_000);
    assertThat(ahead.answered(new ReadAhead.Key("app.s", 101, 50), 151, 1_000)).as("another reader's page size").isNull();
    assertThat(ahead.answered(new ReadAhead.Key("app.t", 101, 100), 201, 1_000)).as("another stream").isNull();

    ReadAhead<String> off = new ReadAhead<>(0, AGE);
    off.answered(read(1), 101, 1_000);
    assertThat(off.answered(read(101), 201, 1_000)).isNull();
  }

  @Test
  void aPageHeldAlreadyIsNotReadAgain() {
    ReadAhead<String> ahead = new ReadAhead<>(8, AGE);
    ahead.answered(read(1), 101, 1_000);
    ahead.put(ahead.answered(read(101), 201, 1_000), "201..300", 1_000, 0);
    ahead.answered(read(1), 101, 1_000); // a second reader in step with the first
    assertThat(ahead.answered(read(101), 201, 1_000)).isNull();
    assertThat(ahead.size()).isEqualTo(1);
  }

  @Test
  void pagesGoWhenTooOldWhenThereIsNoRoomAndWhenTheirStreamIsForgotten() {
    ReadAhead<String> ahead = new ReadAhead<>(2, AGE);
    ahead.put(read(201), "a", 1_000, 0);
    assertThat(ahead.take(read(201), AGE + 1)).as("too old to be taken").isNull();
    ahead.put(read(201), "a", 1_000, 0);
    ahead.put(read(301), "b", 1_000, 5_000);
    ahead.expire(AGE + 1);
    assertThat(ahead.size()).as("the older one expired").isEqualTo(1);
    ahead.put(read(401), "c", 1_000, 6_000);
    ahead.put(read(501), "d", 1_000, 7_000);
    assertThat(ahead.take(read(301), 7_000)).as("the oldest made room").isNull();
    assertThat(ahead.take(read(401), 7_000).page()).isEqualTo("c");
    ahead.served();
    assertThat(ahead.dropped()).isEqualTo(3);

    ahead.put(new ReadAhead.Key("app.t", 1, 100), "t", 1_000, 7_000);
    ahead.answered(read(1), 101, 1_000);
    ahead.forgetIf("app.s"::equals);
    assertThat(ahead.take(read(501), 7_000)).as("forgotten").isNull();
    assertThat(ahead.take(new ReadAhead.Key("app.t", 1, 100), 7_000).page()).as("another stream's stays").isEqualTo("t");
    ahead.refused(); // t was not what its read found: a counter only goes up
    assertThat(ahead.answered(read(101), 201, 1_000)).as("where its readers were is forgotten too").isNull();

    assertThat(ahead.taken()).isEqualTo(1);
    assertThat(ahead.dropped()).isEqualTo(5);
  }

  @Test
  void aPagePutAgainIsTheYoungest() {
    ReadAhead<String> ahead = new ReadAhead<>(8, AGE);
    ahead.put(read(201), "a", 1_000, 0);
    ahead.put(read(301), "b", 1_000, 5_000);
    ahead.put(read(201), "a again", 1_000, 6_000);
    ahead.expire(15_001);
    assertThat(ahead.size()).as("b expired, behind the younger a").isEqualTo(1);
    assertThat(ahead.take(read(201), 15_001).page()).isEqualTo("a again");
  }
}
