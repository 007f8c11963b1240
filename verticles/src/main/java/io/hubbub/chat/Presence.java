package io.hubbub.chat;

import io.hubbub.bus.ChatBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who is online and who is typing in each room. A user is online in a room while at least one of
 * their bridge connections is subscribed to the room's presence; typing lasts until it expires or
 * the user sends. Ephemeral: nothing here is stored. Every method answers whether the room's
 * picture changed, so the verticle publishes only changes. Connections belong to gateways, so that a
 * gateway's whole set can be replaced (a snapshot) or dropped (its node died).
 */
final class Presence {

  private record Subscription(String user, String room) {
  }

  /** room → user → that user's connections subscribed to the room. */
  private final Map<String, Map<String, Set<String>>> online = new HashMap<>();
  /** room → user → when their typing expires (ms). */
  private final Map<String, Map<String, Long>> typing = new HashMap<>();
  /** connection → its subscriptions, to drop them all when it closes. */
  private final Map<String, Set<Subscription>> byConnection = new HashMap<>();
  /** gateway → its connections. */
  private final Map<String, Set<String>> byGateway = new HashMap<>();

  boolean open(String gateway, String conn, String user, String room) {
    byGateway.computeIfAbsent(gateway, g -> new HashSet<>()).add(conn);
    byConnection.computeIfAbsent(conn, c -> new HashSet<>()).add(new Subscription(user, room));
    Set<String> conns = online.computeIfAbsent(room, r -> new HashMap<>()).computeIfAbsent(user, u -> new HashSet<>());
    boolean first = conns.isEmpty();
    conns.add(conn);
    return first;
  }

  /** Drops one subscription of a connection; answers the rooms whose picture changed. */
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

  /** Forgets every connection of a gateway; answers the rooms whose picture changed. */
  Set<String> drop(String gateway) {
    Set<String> changed = new TreeSet<>();
    for (String conn : new ArrayList<>(byGateway.getOrDefault(gateway, Set.of()))) {
      changed.addAll(close(conn, null));
    }
    byGateway.remove(gateway);
    return changed;
  }

  /** Replaces what is known of a gateway by its snapshot; answers the rooms that changed. */
  Set<String> replace(String gateway, List<ChatBus.Held> subscriptions) {
    Set<String> rooms = new TreeSet<>();
    byGateway.getOrDefault(gateway, Set.of()).forEach(conn ->
      byConnection.getOrDefault(conn, Set.of()).forEach(s -> rooms.add(s.room())));
    subscriptions.forEach(held -> rooms.add(held.room()));
    Map<String, JsonObject> before = new HashMap<>();
    rooms.forEach(room -> before.put(room, picture(room)));
    drop(gateway);
    subscriptions.forEach(held -> open(gateway, held.conn(), held.user(), held.room()));
    rooms.removeIf(room -> before.get(room).equals(picture(room)));
    return rooms;
  }

  private boolean leave(String conn, Subscription s) {
    Map<String, Set<String>> users = online.get(s.room());
    Set<String> conns = users == null ? null : users.get(s.user());
    if (conns == null || !conns.remove(conn) || !conns.isEmpty()) {
      return false;
    }
    users.remove(s.user());
    if (users.isEmpty()) {
      online.remove(s.room());
    }
    Map<String, Long> typists = typing.get(s.room());
    if (typists != null) {
      typists.remove(s.user());
    }
    return true;
  }

  boolean typing(String user, String room, long until) {
    return typing.computeIfAbsent(room, r -> new HashMap<>()).put(user, until) == null;
  }

  boolean isTyping(String user, String room) {
    return typing.getOrDefault(room, Map.of()).containsKey(user);
  }

  boolean stoppedTyping(String user, String room) {
    Map<String, Long> typists = typing.get(room);
    return typists != null && typists.remove(user) != null;
  }

  /** Ends typing that has expired by {@code now}; answers the rooms whose picture changed. */
  Set<String> expireTyping(long now) {
    Set<String> changed = new TreeSet<>();
    typing.forEach((room, typists) -> {
      if (typists.values().removeIf(until -> until <= now)) {
        changed.add(room);
      }
    });
    typing.values().removeIf(Map::isEmpty);
    return changed;
  }

  JsonObject picture(String room) {
    Set<String> names = new TreeSet<>(online.getOrDefault(room, Map.of()).keySet());
    Set<String> typists = new TreeSet<>(typing.getOrDefault(room, Map.of()).keySet());
    return new JsonObject().put("room", room)
      .put("online", new JsonArray(names.stream().toList()))
      .put("typing", new JsonArray(typists.stream().toList()));
  }
}
