package io.hubbub.embedded;

import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.wire.MongoWireMessageEncoder;
import de.bwaldvogel.mongo.wire.message.MessageHeader;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The encoder that writes found documents as they are stored: a reply of placeholders comes out byte for byte as the
 * library writes the same reply with the documents decoded, and the library's own encoder refuses placeholders
 * rather than send a reply without its documents.
 */
class StoredRepliesTest {

  private static List<Document> documents() {
    List<Document> documents = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      documents.add(new Document("_id", "chat.room-" + i + "|" + (i * 32 + 1)).append("stream", "chat.room-" + i)
        .append("first", (long) i * 32 + 1).append("n", i).append("ratio", i / 3.0).append("ok", i % 2 == 0)
        .append("nothing", null).append("at", Instant.ofEpochMilli(1_764_000_000_000L + i)).append("oid", new ObjectId())
        .append("uuid", UUID.nameUUIDFromBytes(new byte[] {(byte) i})).append("bin", new BinData(new byte[] {1, 2, (byte) i}))
        .append("events", List.of(new Document("seq", (long) i).append("data", new Document("text", "héllo " + i)),
          List.of(1, "two", 3.0))));
    }
    return documents;
  }

  private static Document reply(String batchKey, List<Document> batch) {
    return new Document("cursor", new Document("id", 42L).append("ns", "hubbub.buckets").append(batchKey, batch)).append("ok", 1.0);
  }

  private static byte[] encoded(ChannelOutboundHandler encoder, Document reply) {
    EmbeddedChannel channel = new EmbeddedChannel(encoder);
    channel.writeOutbound(new MongoMessage(channel, new MessageHeader(7, 3), reply));
    ByteBuf written = channel.readOutbound();
    try {
      return ByteBufUtil.getBytes(written);
    } finally {
      written.release();
      channel.finishAndReleaseAll();
    }
  }

  @Test
  void placeholdersAreWrittenAsTheLibraryWritesTheDocuments() {
    List<Document> documents = documents();
    List<Document> placeholders = documents.stream().map(d -> StoredReplies.placeholder(BsonDocuments.encode(d))).toList();
    for (String batchKey : List.of("firstBatch", "nextBatch")) {
      byte[] expected = encoded(new MongoWireMessageEncoder(), reply(batchKey, documents));
      assertThat(encoded(new StoredReplies(), reply(batchKey, placeholders))).isEqualTo(expected);
    }
  }

  @Test
  void repliesWithoutPlaceholdersAreTheLibrarys() {
    for (Document reply : List.of(reply("firstBatch", documents()), reply("firstBatch", List.of()),
      new Document("n", 3).append("ok", 1.0))) {
      assertThat(encoded(new StoredReplies(), reply)).isEqualTo(encoded(new MongoWireMessageEncoder(), reply));
    }
  }

  @Test
  void theLibrarysEncoderRefusesPlaceholders() {
    Document reply = reply("firstBatch", List.of(StoredReplies.placeholder(BsonDocuments.encode(documents().get(0)))));
    EmbeddedChannel channel = new EmbeddedChannel(new MongoWireMessageEncoder());
    assertThatThrownBy(() -> channel.writeOutbound(new MongoMessage(channel, new MessageHeader(7, 3), reply)))
      .hasMessageContaining("Bytes");
    assertThat(channel.isOpen()).isFalse();
    channel.finishAndReleaseAll();
  }

  @Test
  void installedOnceInPlaceOfTheLibrarysEncoder() {
    EmbeddedChannel channel = new EmbeddedChannel(new MongoWireMessageEncoder());
    assertThat(StoredReplies.install(channel)).isTrue();
    assertThat(StoredReplies.install(channel)).isTrue();
    assertThat(channel.pipeline().names()).filteredOn(name -> !name.startsWith("DefaultChannelPipeline"))
      .containsExactly("hubbub-stored-replies");
    assertThat(StoredReplies.install(new EmbeddedChannel())).isFalse();
  }
}
