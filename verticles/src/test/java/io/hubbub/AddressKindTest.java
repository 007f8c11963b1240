package io.hubbub;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The event-bus meters' address label: one value per kind of address, whatever streams, rooms and partitions exist. */
class AddressKindTest {

  @Test
  void addressesClientsOrPartitionsNameAreFoldedIntoTheirKind() {
    assertThat(Node.addressKind("streams.live.sensor.dev-1")).isEqualTo("streams.live.*");
    assertThat(Node.addressKind("bridge.live.room.lobby")).isEqualTo("bridge.live.*");
    assertThat(Node.addressKind("chat.presence.lobby")).isEqualTo("chat.presence.*");
    assertThat(Node.addressKind("chat.internal.snapshot.3f2a")).isEqualTo("chat.internal.snapshot.*");
    assertThat(Node.addressKind("__vertx.reply.17")).isEqualTo("_reply");
    assertThat(Node.addressKind("0f8fad5b-d9cb-469f-a165-70867728950e")).isEqualTo("_reply");
    assertThat(Node.addressKind("storage.append.12")).isEqualTo("storage.append");
    assertThat(Node.addressKind("storage.read.0")).isEqualTo("storage.read");
    assertThat(Node.addressKind("storage.meta.7")).isEqualTo("storage.meta");
    assertThat(Node.addressKind("sensors.status.15")).isEqualTo("sensors.status");
    assertThat(Node.addressKind("sensors.aggregates.0")).isEqualTo("sensors.aggregates");
    assertThat(Node.addressKind("sensors.purge.3")).isEqualTo("sensors.purge");
  }

  @Test
  void otherAddressesKeepTheirName() {
    for (String address : new String[] {"sensors.ingest", "storage.append", "storage.append.", "storage.append.1a",
        "storage.docs.put", "streams.live", "0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5b-d9cb-469f-a165-70867728950", "x"}) {
      assertThat(Node.addressKind(address)).as(address).isEqualTo(address);
    }
  }
}
