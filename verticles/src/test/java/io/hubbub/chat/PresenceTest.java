package io.hubbub.chat;

import io.hubbub.bus.ChatBus;
import io.hubbub.client.PresenceView;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Presence bookkeeping: connections, gateways, snapshots and typing, and the deltas that carry each window's net
 * change; and, against a model, that a client's view (snapshot, then deltas) is always the true picture.
 */
class PresenceTest {

  private static final int LISTED = 200;
  private final Presence presence = new Presence();

  private static List<String> names(JsonObject message, String field) {
    JsonArray array = message.getJsonArray(field, new JsonArray());
    return array.stream().map(String.class::cast).toList();
  }

  /** The room's picture once every change is published. */
  private List<String> online(String room) {
    presence.delta(room, LISTED);
    return names(presence.snapshot(room, LISTED), "online");
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
  void aGatewaysSnapshotReplacesItsConnectionsAndOnlyRealChangesAreDeltas() {
    presence.open("g1", "c1", "alice", "a");
    presence.open("g1", "c2", "bob", "b");
    presence.delta("a", LISTED);
    presence.delta("b", LISTED);
    presence.replace("g1", List.of(
      new ChatBus.Held("c1", "alice", "a"), // unchanged
      new ChatBus.Held("c9", "carol", "c"))); // missed open
    assertNull(presence.delta("a", LISTED), "alice dropped and back in one window: no change");
    assertEquals(List.of("bob"), names(presence.delta("b", LISTED), "left"));
    assertEquals(List.of("carol"), names(presence.delta("c", LISTED), "joined"));
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

  @Test
  void aWindowsChangesGoOutAsOneDeltaOfTheirNetEffectUnderTheNextVersion() {
    presence.open("g1", "c1", "alice", "lobby");
    presence.open("g1", "c2", "bob", "lobby");
    presence.typing("bob", "lobby", 10_000);
    JsonObject first = presence.delta("lobby", LISTED);
    assertEquals(1L, first.getLong("v"));
    assertEquals(List.of("alice", "bob"), names(first, "joined"));
    assertEquals(List.of("bob"), names(first, "typing"));
    assertEquals(2, first.getInteger("count"));
    assertNull(presence.delta("lobby", LISTED), "nothing since: no delta, the version stays");

    presence.open("g1", "c3", "carol", "lobby");
    presence.close("c3", null); // in and out within the window
    presence.close("c2", null); // bob leaves: his typing with him
    JsonObject second = presence.delta("lobby", LISTED);
    assertEquals(2L, second.getLong("v"));
    assertEquals(List.of(), names(second, "joined"));
    assertEquals(List.of("bob"), names(second, "left"));
    assertEquals(List.of("bob"), names(second, "stopped"));
    assertEquals(1, second.getInteger("count"));
  }

  @Test
  void aSnapshotIsThePublishedPictureSoTheNextDeltaAppliesToIt() {
    presence.open("g1", "c1", "alice", "lobby");
    presence.open("g1", "c2", "bob", "lobby");
    presence.delta("lobby", LISTED);
    presence.close("c1", null);                  // alice leaves...
    presence.open("g1", "c3", "carol", "lobby"); // ...carol comes, neither published yet
    JsonObject snapshot = presence.snapshot("lobby", LISTED);
    assertEquals(1L, snapshot.getLong("v"));
    assertEquals(List.of("alice", "bob"), names(snapshot, "online"));
    assertEquals(2, snapshot.getInteger("count"));
    presence.open("g1", "c4", "alice", "lobby"); // alice back in the same window
    PresenceView view = new PresenceView("lobby");
    assertTrue(view.apply(snapshot.put("epoch", "e")));
    assertTrue(view.apply(presence.delta("lobby", LISTED).put("epoch", "e")));
    assertEquals(Set.of("alice", "bob", "carol"), view.online());
    assertEquals(3, view.count());
  }

  @Test
  void aboveTheListedSizeDeltasCarryTheCountAndASnapshotThePageOfFirstNames() {
    for (int i = 0; i < 12; i++) {
      presence.open("g1", "c" + i, String.format("u%02d", i), "big");
    }
    JsonObject delta = presence.delta("big", 10);
    assertEquals(12, delta.getInteger("count"));
    assertFalse(delta.getBoolean("listed"));
    assertFalse(delta.containsKey("joined"), "no names above the listed size");
    JsonObject snapshot = presence.snapshot("big", 10);
    assertEquals(List.of("u00", "u01", "u02", "u03", "u04", "u05", "u06", "u07", "u08", "u09"), names(snapshot, "online"));
    assertEquals(12, snapshot.getInteger("count"));
    presence.typing("u11", "big", 5_000);
    assertEquals(List.of("u11"), names(presence.delta("big", 10), "typing"), "typing is named whatever the size");
  }

  @Test
  void aViewThatMissesADeltaAsksForASnapshotAndDeltasBeforeItsSnapshotWait() {
    presence.open("g1", "c1", "alice", "lobby");
    JsonObject first = presence.delta("lobby", LISTED).put("epoch", "e");
    presence.open("g1", "c2", "bob", "lobby");
    JsonObject second = presence.delta("lobby", LISTED).put("epoch", "e");
    presence.open("g1", "c3", "carol", "lobby");
    JsonObject third = presence.delta("lobby", LISTED).put("epoch", "e");

    PresenceView early = new PresenceView("lobby");
    assertTrue(early.apply(third), "before its snapshot a delta waits");
    assertFalse(early.inStep());
    presence.open("g1", "c4", "dave", "lobby"); // not published: the snapshot is of v3
    assertTrue(early.apply(presence.snapshot("lobby", LISTED).put("epoch", "e")));
    assertEquals(Set.of("alice", "bob", "carol"), early.online());

    PresenceView gap = new PresenceView("lobby");
    JsonObject old = new JsonObject().put("room", "lobby").put("type", "snapshot").put("v", 0L).put("epoch", "e")
      .put("count", 0).put("online", new JsonArray()).put("typing", new JsonArray());
    assertTrue(gap.apply(old));
    assertTrue(gap.apply(first));
    assertFalse(gap.apply(third), "v3 after v1: a snapshot is needed");
    assertTrue(gap.apply(second), "waits with the others");
    assertTrue(gap.apply(presence.snapshot("lobby", LISTED).put("epoch", "e")));
    assertEquals(Set.of("alice", "bob", "carol"), gap.online());
    assertFalse(gap.apply(presence.delta("lobby", LISTED).put("epoch", "other")), "another epoch: the node's chat restarted");
  }

  /**
   * A model of many connections on two gateways, users joining, leaving, typing and their gateway dying, with
   * deltas published now and then; clients subscribe at random moments (they get a snapshot then) and miss
   * deltas at random (they ask for a snapshot again). After every delta each client's view is the truth.
   */
  @Test
  void everyViewIsTheTruePictureAfterEveryDeltaWhateverHappens() {
    Random random = new Random(42);
    int listed = 6;
    List<String> users = List.of("ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon");
    List<String[]> conns = new ArrayList<>(); // {gateway, conn, user}
    List<PresenceView> views = new ArrayList<>();
    Set<PresenceView> behind = new java.util.HashSet<>();
    int next = 0;
    for (int step = 0; step < 20_000; step++) {
      int op = random.nextInt(10);
      if (op < 3) {
        String user = users.get(random.nextInt(users.size()));
        String gateway = random.nextBoolean() ? "g1" : "g2";
        String conn = "c" + next++;
        presence.open(gateway, conn, user, "room");
        conns.add(new String[] {gateway, conn, user});
      } else if (op < 5 && !conns.isEmpty()) {
        presence.close(conns.remove(random.nextInt(conns.size()))[1], null);
      } else if (op == 5 && !conns.isEmpty()) {
        presence.typing(conns.get(random.nextInt(conns.size()))[2], "room", step + random.nextInt(50));
      } else if (op == 6) {
        presence.stoppedTyping(users.get(random.nextInt(users.size())), "room");
        presence.expireTyping(step);
      } else if (op == 7 && random.nextInt(40) == 0) {
        String dead = random.nextBoolean() ? "g1" : "g2";
        presence.drop(dead);
        conns.removeIf(c -> c[0].equals(dead));
      } else if (op == 8 && random.nextInt(5) == 0) {
        PresenceView view = new PresenceView("room"); // a new subscriber: its snapshot
        assertTrue(view.apply(presence.snapshot("room", listed).put("epoch", "e")));
        views.add(view);
      } else if (op == 9) {
        JsonObject delta = presence.delta("room", listed);
        if (delta != null) {
          delta.put("epoch", "e");
          for (PresenceView view : views) {
            if (random.nextInt(50) == 0) {
              behind.add(view); // missed (a slow consumer's dropped frame): the next one shows the gap
              continue;
            }
            if (!view.apply(delta)) {
              assertTrue(view.apply(presence.snapshot("room", listed).put("epoch", "e")));
            }
            behind.remove(view);
          }
          JsonObject truth = presence.snapshot("room", listed);
          for (PresenceView view : views) {
            if (behind.contains(view)) {
              continue;
            }
            assertTrue(view.inStep(), "step " + step + ": " + view);
            assertEquals(truth.getInteger("count"), view.count(), "step " + step + ": " + view);
            Set<String> expected = new TreeSet<>(names(truth, "online"));
            if (truth.getBoolean("listed")) {
              assertEquals(expected, view.online(), "step " + step + ": " + view);
            }
            assertEquals(new TreeSet<>(names(truth, "typing")), view.typing(), "step " + step + ": " + view);
          }
        }
      }
    }
    assertTrue(views.size() > 100, "the model subscribed enough views: " + views.size());
  }
}
