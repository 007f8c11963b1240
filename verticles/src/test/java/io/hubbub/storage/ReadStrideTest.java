package io.hubbub.storage;

import org.bson.BsonDocument;
import org.bson.BsonInt64;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** After a fetch, a read asks only where buckets would start when those it found were several of one size. */
class ReadStrideTest {

  private static List<RawBsonDocument> buckets(long... firstLast) {
    RawBsonDocument[] found = new RawBsonDocument[firstLast.length / 2];
    for (int i = 0; i < found.length; i++) {
      BsonDocument bucket = new BsonDocument("first", new BsonInt64(firstLast[2 * i])).append("last", new BsonInt64(firstLast[2 * i + 1]));
      found[i] = RawBsonDocument.parse(bucket.toJson());
    }
    return Arrays.asList(found);
  }

  @Test
  void severalBucketsOfOneSizeAreTheStride() {
    assertThat(EventStore.stride(buckets(1, 128, 129, 256))).isEqualTo(128);
    assertThat(EventStore.stride(buckets(301, 400, 401, 500, 501, 600))).isEqualTo(100);
  }

  @Test
  void fullBucketsWithSmallerOnesAtEitherEndAreTheStrideOfAFullOne() {
    // batches of 1,000: seven full buckets and one of 104; a read may start in any of them
    assertThat(EventStore.stride(buckets(1, 128, 129, 256, 257, 300))).as("a batch's end").isEqualTo(128);
    assertThat(EventStore.stride(buckets(897, 1000, 1001, 1128, 1129, 1256))).as("a batch's end first").isEqualTo(128);
    assertThat(EventStore.stride(buckets(897, 1000, 1001, 1128))).isEqualTo(128);
    assertThat(EventStore.stride(buckets(897, 1000, 1001, 1128, 1129, 1256, 1257, 1300))).isEqualTo(128);
  }

  @Test
  void anythingElseAsksForEverySeq() {
    assertThat(EventStore.stride(buckets())).as("none").isEqualTo(1);
    assertThat(EventStore.stride(buckets(1, 128))).as("one: nothing to go by").isEqualTo(1);
    assertThat(EventStore.stride(buckets(1, 5, 6, 8, 9, 15))).as("sizes differ, none full").isEqualTo(1);
    assertThat(EventStore.stride(buckets(1, 128, 129, 200, 201, 328))).as("a smaller one between full ones").isEqualTo(1);
    assertThat(EventStore.stride(buckets(301, 301, 302, 302))).as("one event each").isEqualTo(1);
  }
}
