package io.hubbub.chat;

import io.hubbub.bus.ChatBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Who is online and who is typing in each room, and what changed since it was last published. A user is online
 * in a room while at least one of their bridge connections is subscribed to the room's presence; typing lasts
 * until it expires or the user sends. Ephemeral: nothing here is stored. Connections belong to gateways, so that
 * a gateway's whole set can be replaced (a snapshot) or dropped (its node died).
 *
 * <p>Changes are published as deltas, many at once: each change notes, per room and user, what was published
 * before it (the first change of a user in a window wins), and {@link #delta} turns a room's notes into the net
 * change since the last delta ({@code joined}, {@code left}, {@code typing}, {@code stopped}) under the room's next
 * version. A user who joins and leaves within one window is in no delta. {@link #snapshot} answers the picture as
 * of the last delta (the published one, with its version), so a client that applies the deltas after it reaches
 * the true picture. Above {@code maxListed} online, deltas carry the count and typing only, and a snapshot
 * names the first {@code maxListed} users by name.
 */
final class Presence {

  private record Subscription(String user, String room) {
  }

  /** room → user (sorted, for a snapshot's page of names) → that user's connections subscribed to the room. */
  private final Map<String, NavigableMap<String, Set<String>>> online = new HashMap<>();
  /** room → user → when their typing expires (ms). */
  private final Map<String, Map<String, Long>> typing = new HashMap<>();
  /** connection → its subscriptions, to drop them all when it closes. */
  private final Map<String, Set<Subscription>> byConnection = new HashMap<>();
  /** gateway → its connections. */
  private final Map<String, Set<String>> byGateway = new HashMap<>();
  /** room → user → whether they were online as last published (noted at their first change since). */
  private final Map<String, Map<String, Boolean>> wasOnline = new HashMap<>();
  /** room → user → whether they were typing as last published. */
  private final Map<String, Map<String, Boolean>> wasTyping = new HashMap<>();
  /** room → the version of its last delta. Kept when a room empties: a version never goes back. */
  private final Map<String, Long> versions = new HashMap<>();

  /** Adds a connection's subscription; answers whether the room has changes to publish. */
  boolean open(String gateway, String conn, String user, String room) {
    byGateway.computeIfAbsent(gateway, g -> new HashSet<>()).add(conn);
    byConnection.computeIfAbsent(conn, c -> new HashSet<>()).add(new Subscription(user, room));
    Set<String> conns = online.computeIfAbsent(room, r -> new TreeMap<>()).computeIfAbsent(user, u -> new HashSet<>());
    boolean first = conns.isEmpty();
    conns.add(conn);
    if (first) {
      note(wasOnline, room, user, false);
    }
    return first;
  }

  /** Drops one subscription of a connection (every one: {@code room} null); answers the rooms with changes to publish. */
  Set<String> close(String conn, String room) {
    Set<String> changed = new TreeSet<>();
    Set<Subscription> subscriptions = byConnection.get(conn);
    if (subscriptions == null) {
      return changed;
    }
    subscriptions.removeIf(s -> {
      if (room != null && !s.room().equals(room)) {
        return false;
      }
      if (leave(conn, s)) {
        changed.add(s.room());
      }
      return true;
    });
    if (subscriptions.isEmpty()) {
      byConnection.remove(conn);
      byGateway.values().forEach(conns -> conns.remove(conn));
      byGateway.values().removeIf(Set::isEmpty);
    }
    return changed;
  }

  /** How many presence subscriptions this instance knows of a gateway: to compare with the gateway's own count. */
  int count(String gateway) {
    return byGateway.getOrDefault(gateway, Set.of()).stream()
      .mapToInt(conn -> byConnection.getOrDefault(conn, Set.of()).size()).sum();
  }

  /** Forgets every connection of a gateway; answers the rooms with changes to publish. */
  Set<String> drop(String gateway) {
    Set<String> changed = new TreeSet<>();
    for (String conn : new ArrayList<>(byGateway.getOrDefault(gateway, Set.of()))) {
      changed.addAll(close(conn, null));
    }
    byGateway.remove(gateway);
    return changed;
  }

  /** Replaces what is known of a gateway by its snapshot; answers the rooms with changes to publish. */
  Set<String> replace(String gateway, List<ChatBus.Held> subscriptions) {
    Set<String> changed = drop(gateway);
    subscriptions.forEach(held -> {
      if (open(gateway, held.conn(), held.user(), held.room())) {
        changed.add(held.room());
      }
    });
    return changed;
  }

  private boolean leave(String conn, Subscription s) {
    NavigableMap<String, Set<String>> users = online.get(s.room());
    Set<String> conns = users == null ? null : users.get(s.user());
    if (conns == null || !conns.remove(conn) || !conns.isEmpty()) {
      return false;
    }
    users.remove(s.user());
    note(wasOnline, s.room(), s.user(), true);
    if (users.isEmpty()) {
      online.remove(s.room());
    }
    stoppedTyping(s.user(), s.room());
    return true;
  }

  /** Marks a user typing until {@code until}; answers whether that is a change (they were not typing). */
  boolean typing(String user, String room, long until) {
    boolean started = typing.computeIfAbsent(room, r -> new HashMap<>()).put(user, until) == null;
    if (started) {
      note(wasTyping, room, user, false);
    }
    return started;
  }

  boolean isTyping(String user, String room) {
    return typing.getOrDefault(room, Map.of()).containsKey(user);
  }

  /** When a user's typing ends, or 0 if they are not typing. */
  long typingUntil(String user, String room) {
    return typing.getOrDefault(room, Map.of()).getOrDefault(user, 0L);
  }

  boolean stoppedTyping(String user, String room) {
    Map<String, Long> typists = typing.get(room);
    if (typists == null || typists.remove(user) == null) {
      return false;
    }
    if (typists.isEmpty()) {
      typing.remove(room);
    }
    note(wasTyping, room, user, true);
    return true;
  }

  /** Ends typing that has expired by {@code now}; answers the rooms with changes to publish. */
  Set<String> expireTyping(long now) {
    Set<String> changed = new TreeSet<>();
    typing.forEach((room, typists) -> typists.entrySet().removeIf(entry -> {
      if (entry.getValue() > now) {
        return false;
      }
      note(wasTyping, room, entry.getKey(), true);
      changed.add(room);
      return true;
    }));
    typing.values().removeIf(Map::isEmpty);
    return changed;
  }

  private static void note(Map<String, Map<String, Boolean>> was, String room, String user, boolean before) {
    was.computeIfAbsent(room, r -> new HashMap<>()).putIfAbsent(user, before);
  }

  /** How many are online in a room now. */
  int online(String room) {
    return online.getOrDefault(room, Collections.emptyNavigableMap()).size();
  }

  /**
   * The net change of a room since its last delta, as its next delta ({@code {type: "delta", v, count, joined?,
   * left?, typing?, stopped?, listed?}}), or null when nothing changed (its version stays). Names of who joined
   * and left are given while the room has at most {@code maxListed} online; above, {@code listed: false}.
   */
  JsonObject delta(String room, int maxListed) {
    List<String> joined = new ArrayList<>();
    List<String> left = new ArrayList<>();
    changes(wasOnline.remove(room), user -> online.getOrDefault(room, Collections.emptyNavigableMap()).containsKey(user), joined, left);
    List<String> started = new ArrayList<>();
    List<String> stopped = new ArrayList<>();
    changes(wasTyping.remove(room), user -> isTyping(user, room), started, stopped);
    if (joined.isEmpty() && left.isEmpty() && started.isEmpty() && stopped.isEmpty()) {
      return null;
    }
    long version = versions.merge(room, 1L, Long::sum);
    int count = online(room);
    // small: every subscriber gets each one (the room is in the address it comes on; listed is said when false)
    JsonObject delta = new JsonObject().put("type", "delta").put("v", version).put("count", count);
    if (count <= maxListed) {
      putIfAny(delta, "joined", joined);
      putIfAny(delta, "left", left);
    } else {
      delta.put("listed", false);
    }
    putIfAny(delta, "typing", started);
    putIfAny(delta, "stopped", stopped);
    return delta;
  }

  private static void changes(Map<String, Boolean> was, java.util.function.Predicate<String> isNow,
                              List<String> began, List<String> ended) {
    if (was == null) {
      return;
    }
    new TreeMap<>(was).forEach((user, before) -> {
      boolean now = isNow.test(user);
      if (now && !before) {
        began.add(user);
      } else if (!now && before) {
        ended.add(user);
      }
    });
  }

  private static void putIfAny(JsonObject json, String field, List<String> names) {
    if (!names.isEmpty()) {
      json.put(field, new JsonArray(names));
    }
  }

  /** The rooms with changes not yet in a delta. */
  Set<String> pending() {
    Set<String> rooms = new TreeSet<>(wasOnline.keySet());
    rooms.addAll(wasTyping.keySet());
    return rooms;
  }

  /**
   * A room's picture as its last delta left it: {@code {room, type: "snapshot", v, count, listed, online: [the
   * first maxListed names], typing: [names]}}. Changes since (not yet in a delta) are left out: the next delta
   * brings them, so snapshot plus deltas is always the true picture.
   */
  JsonObject snapshot(String room, int maxListed) {
    Map<String, Boolean> onlineNotes = wasOnline.getOrDefault(room, Map.of());
    NavigableMap<String, Set<String>> users = online.getOrDefault(room, Collections.emptyNavigableMap());
    int count = users.size();
    TreeSet<String> names = new TreeSet<>();
    for (Map.Entry<String, Boolean> note : onlineNotes.entrySet()) {
      boolean now = users.containsKey(note.getKey());
      if (note.getValue() && !now) {
        names.add(note.getKey()); // left since: still published as online
        count++;
      } else if (!note.getValue() && now) {
        count--; // joined since: not published yet
      }
    }
    while (names.size() > maxListed) {
      names.pollLast();
    }
    for (String user : users.keySet()) {
      if (names.size() >= maxListed && (maxListed == 0 || user.compareTo(names.last()) > 0)) {
        break; // sorted: no later name is among the first maxListed
      }
      if (!Boolean.FALSE.equals(onlineNotes.get(user)) && names.add(user) && names.size() > maxListed) {
        names.pollLast();
      }
    }
    TreeSet<String> typists = new TreeSet<>(typing.getOrDefault(room, Map.of()).keySet());
    wasTyping.getOrDefault(room, Map.of()).forEach((user, before) -> {
      if (before) {
        typists.add(user);
      } else {
        typists.remove(user);
      }
    });
    return new JsonObject().put("room", room).put("type", "snapshot").put("v", versions.getOrDefault(room, 0L))
      .put("count", count).put("listed", count <= maxListed)
      .put("online", new JsonArray(new ArrayList<>(names))).put("typing", new JsonArray(new ArrayList<>(typists)));
  }
}
