package io.hubbub.chat;

import io.hubbub.bus.ChatBus;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Presence bookkeeping: connections, gateways, snapshots and typing, and which changes are news. */
class PresenceTest {

  private final Presence presence = new Presence();

  private List<String> online(String room) {
    return presence.picture(room).getJsonArray("online").stream().map(String.class::cast).toList();
  }

  @Test
  void aUserIsOnlineWhileAnyOfTheirConnectionsIs() {
    assertTrue(presence.open("g1", "c1", "alice", "lobby"));
    assertFalse(presence.open("g2", "c2", "alice", "lobby"), "a second tab is no news");
    assertTrue(presence.open("g1", "c3", "bob", "lobby"));
    assertEquals(List.of("alice", "bob"), online("lobby"));
    assertEquals(Set.of(), presence.close("c1", "lobby"));
    assertEquals(List.of("alice", "bob"), online("lobby"));
    assertEquals(Set.of("lobby"), presence.close("c2", null));
    assertEquals(List.of("bob"), online("lobby"));
  }

  @Test
  void closingAConnectionLeavesEveryRoomItWasIn() {
    presence.open("g1", "c1", "alice", "a");
    presence.open("g1", "c1", "alice", "b");
    presence.open("g1", "c2", "bob", "b");
    assertEquals(3, presence.count("g1"));
    assertEquals(Set.of("a", "b"), presence.close("c1", null));
    assertEquals(1, presence.count("g1"));
    assertEquals(Set.of(), presence.close("c1", null), "closing twice changes nothing");
  }

  @Test
  void aDeadGatewayTakesItsConnectionsWithIt() {
    presence.open("g1", "c1", "alice", "lobby");
    presence.open("g2", "c2", "alice", "lobby");
    presence.open("g2", "c3", "bob", "lobby");
    assertEquals(Set.of("lobby"), presence.drop("g2"));
    assertEquals(List.of("alice"), online("lobby"));
    assertEquals(0, presence.count("g2"));
  }

  @Test
  void aSnapshotReplacesAGatewaysConnectionsAndReportsOnlyRealChanges() {
    presence.open("g1", "c1", "alice", "a");
    presence.open("g1", "c2", "bob", "b");
    List<ChatBus.Held> snapshot = List.of(
      new ChatBus.Held("c1", "alice", "a"), // unchanged
      new ChatBus.Held("c9", "carol", "c")); // missed open
    assertEquals(Set.of("b", "c"), presence.replace("g1", snapshot));
    assertEquals(List.of(), online("b"));
    assertEquals(List.of("carol"), online("c"));
    assertEquals(2, presence.count("g1"));
  }

  @Test
  void typingExpiresAndEndsWhenTheUserLeaves() {
    presence.open("g1", "c1", "alice", "lobby");
    assertTrue(presence.typing("alice", "lobby", 1_000));
    assertFalse(presence.typing("alice", "lobby", 2_000), "still typing is no news");
    assertEquals(Set.of(), presence.expireTyping(1_500));
    assertEquals(Set.of("lobby"), presence.expireTyping(2_000));
    presence.typing("alice", "lobby", 5_000);
    presence.close("c1", "lobby");
    assertFalse(presence.isTyping("alice", "lobby"), "a user who left is not typing");
    assertFalse(presence.stoppedTyping("alice", "lobby"));
  }
}
