package io.hubbub.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The chat verticle's conversations. The first six are bridged to browsers (PROTOCOL.md,
 * "Event-bus bridge"); the caller is the principal the gateway put in the headers ({@link Caller}).
 *
 * <ul>
 *   <li>{@link #SEND} {@code {room, text, id?}} → {@code {status: "TEXT_SUCCESS", stream, seq, id, ts, duplicate?}};
 *       400 empty or too long, 401, 403 not a member, 404 no such room, 429 too fast</li>
 *   <li>{@link #ROOMS} {@code {}} → {@code {rooms: [{name, memberCount, members, lastSeq}]}} ({@code members}: the
 *       first {@code chat.presence.maxListed} names)</li>
 *   <li>{@link #JOIN} / {@link #LEAVE} {@code {room}} → {@code {room, memberCount, members}}; a room is created on its
 *       first join</li>
 *   <li>{@link #MEMBERS_PAGE} {@code {room, after?, limit?}} → {@code {room, memberCount, members, next?}}: members by
 *       name after {@code after}; {@code next} is where the next page starts</li>
 *   <li>{@link #TYPING} {@code {room}}, no reply: the caller is typing for the next few seconds</li>
 *   <li>{@code chat.presence.<room>} (published) {@code {room, online, typing}} on every change</li>
 * </ul>
 * Internal, never bridged, typed ({@link Contract}, {@link Topic}):
 * <ul>
 *   <li>{@link #PUBLISH}: a {@link Post} → an append result: a {@code TEXT_MESSAGE} published through
 *       {@code streams.publish} or HTTP to a {@code chat.<room>} stream, under the same rules as {@link #SEND}</li>
 *   <li>{@link #DELETE_ROOM}: a {@link RoomKey} with the caller's principal → {@code {}}: the room and its history
 *       are gone (admin or the room's creator; 403 anyone else, 404 no such room); {@link #ROOM_DELETED} tells every
 *       chat instance</li>
 *   <li>{@link #ERASE} (sent, to one chat instance): an {@link Erasure} auth queued durably in
 *       {@link #ERASURES_COLLECTION}: the user's membership of every room ends and their messages are redacted, in the
 *       background; an erasure no instance heard of, or cut short, is done at the next start of a chat instance</li>
 *   <li>{@link #MEMBER}: a {@link RoomKey} with the caller's principal → {@code {}} when it is a member;
 *       404 no such room, 403 not a member</li>
 *   <li>{@link #SUBSCRIPTIONS} (published): a {@link Subscription}, a bridge connection subscribed to or left a
 *       room's presence (each gateway reports its own; {@code close} without a room means the connection closed).
 *       Every chat instance keeps the whole picture and publishes {@code chat.presence.<room>} to its own node's
 *       connections.</li>
 *   <li>{@link #GATEWAYS} (published): a {@link GatewayBeat}, a gateway is alive with this many presence
 *       subscriptions; a chat instance that counts otherwise asks it for its {@link #SNAPSHOT} (on
 *       {@link #snapshotAddress}), and forgets a gateway not heard from for a while (its node died)</li>
 *   <li>{@link #TYPING_STATE} (published): a {@link TypingState}, a member started or stopped typing</li>
 *   <li>{@link #PRESENCE} (local only): a {@link RoomKey} → the room's presence snapshot as this node's chat instance
 *       published it ({@code {room, type: "snapshot", v, epoch, count, listed, online, typing}})</li>
 *   <li>{@link #MEMBERS} (published): a {@link MemberChange}, one user joined or left a room; chat instances apply it to
 *       their cache (the change, not the room's list)</li>
 * </ul>
 */
public final class ChatBus {

  public static final String SEND = "chat.send";
  public static final String ROOMS = "chat.rooms";
  public static final String JOIN = "chat.join";
  public static final String MEMBERS_PAGE = "chat.members";
  public static final String LEAVE = "chat.leave";
  public static final String TYPING = "chat.typing";
  public static final String PRESENCE_PREFIX = "chat.presence.";

  public static final Contract<Post, JsonObject> PUBLISH = Contract.jsonReply("chat.internal.publish", Post::toJson, Post::fromJson);
  public static final Contract<RoomKey, JsonObject> MEMBER = Contract.jsonReply("chat.internal.member", RoomKey::toJson, RoomKey::fromJson);
  public static final Topic<Subscription> SUBSCRIPTIONS =
    new Topic<>("chat.internal.subscriptions", Subscription::toJson, Subscription::fromJson);
  public static final Contract<RoomKey, JsonObject> DELETE_ROOM =
    Contract.jsonReply("chat.internal.deleteRoom", RoomKey::toJson, RoomKey::fromJson);
  public static final Topic<RoomKey> ROOM_DELETED = new Topic<>("chat.internal.roomDeleted", RoomKey::toJson, RoomKey::fromJson);
  public static final Topic<Erasure> ERASE = new Topic<>("chat.internal.erase", Erasure::toJson, Erasure::fromJson);
  public static final String ERASURES_COLLECTION = "erasures";
  public static final Topic<MemberChange> MEMBERS = new Topic<>("chat.internal.members", MemberChange::toJson, MemberChange::fromJson);
  public static final Topic<GatewayBeat> GATEWAYS = new Topic<>("chat.internal.gateways", GatewayBeat::toJson, GatewayBeat::fromJson);
  public static final Topic<TypingState> TYPING_STATE = new Topic<>("chat.internal.typing", TypingState::toJson, TypingState::fromJson);
  /** A room's presence snapshot, asked of this node's chat instance (local only) by a gateway for one socket. */
  public static final Contract<RoomKey, JsonObject> PRESENCE = Contract.jsonReply("chat.internal.presence", RoomKey::toJson, RoomKey::fromJson);
  /** What a bridge client asks (request/reply) for a room's presence snapshot again: {@code {room}}. */
  public static final String PRESENCE_SNAPSHOT = "chat.presence";
  /** A gateway's presence subscriptions, asked of it by name (the request) on {@link #snapshotAddress}. */
  public static final Contract<String, Snapshot> SNAPSHOT = Contract.of("chat.internal.snapshot",
    gateway -> new JsonObject().put("gateway", gateway), body -> body.getString("gateway"), Snapshot::toJson, Snapshot::fromJson);
  /** How often a gateway says it is alive, and how long chat waits before forgetting a silent one. */
  public static final long GATEWAY_BEAT_MS = 2_000;
  public static final long GATEWAY_SILENCE_MS = 6_000;

  public static final String NAMESPACE = "chat";
  public static final String MESSAGE_TYPE = "TEXT_MESSAGE";
  public static final String SUCCESS = "TEXT_SUCCESS";
  public static final String ROOMS_COLLECTION = "rooms";

  private ChatBus() {
  }

  public static String stream(String room) {
    return NAMESPACE + "." + room;
  }

  public static String presenceAddress(String room) {
    return PRESENCE_PREFIX + room;
  }

  /** The room of a presence address, or null when the address is not one. */
  public static String ofPresenceAddress(String address) {
    if (address == null || !address.startsWith(PRESENCE_PREFIX)) {
      return null;
    }
    String room = address.substring(PRESENCE_PREFIX.length());
    return Streams.isKey(room) ? room : null;
  }

  public static String snapshotAddress(String gateway) {
    return SNAPSHOT.address() + "." + gateway;
  }

  private static String text(JsonObject body, String field) {
    if (!(body.getValue(field) instanceof String value) || value.isEmpty()) {
      throw Failures.badRequest("'" + field + "' must be a non-empty string");
    }
    return value;
  }

  /** A message posted to a room through {@code streams.publish} or HTTP: the event as checked there, and its author. */
  public record Post(String room, JsonObject event, String by) {
    public JsonObject toJson() {
      return new JsonObject().put("room", room).put("event", event).put("by", by);
    }

    public static Post fromJson(JsonObject body) {
      return new Post(EventRules.key(body, "room"), EventRules.checkEvent(body.getValue("event"), Integer.MAX_VALUE, Set.of(), "event"),
        text(body, "by"));
    }
  }

  /** A deleted user whose chat presence is to be erased: memberships ended, messages redacted. */
  public record Erasure(String user) {
    public JsonObject toJson() {
      return new JsonObject().put("user", user);
    }

    public static Erasure fromJson(JsonObject body) {
      return new Erasure(text(body, "user"));
    }
  }

  /** One room, by name. */
  public record RoomKey(String room) {
    public JsonObject toJson() {
      return new JsonObject().put("room", room);
    }

    public static RoomKey fromJson(JsonObject body) {
      return new RoomKey(EventRules.key(body, "room"));
    }
  }

  /** One user joined ({@code member}) or left a room. */
  public record MemberChange(String room, String user, boolean member) {

    public JsonObject toJson() {
      return new JsonObject().put("room", room).put("user", user).put("member", member);
    }

    public static MemberChange fromJson(JsonObject body) {
      if (!(body.getValue("member") instanceof Boolean member) || !(body.getValue("user") instanceof String user)) {
        throw Failures.badRequest("a member change names a 'user' and whether they are a 'member'");
      }
      return new MemberChange(EventRules.key(body, "room"), user, member);
    }
  }

  /**
   * A gateway's report of one bridge connection's presence subscription: {@code open} (with the user) or
   * {@code close}; a {@code close} without a room means the connection closed.
   */
  public record Subscription(boolean open, String gateway, String conn, String user, String room) {

    public static Subscription opened(String gateway, String conn, String user, String room) {
      return new Subscription(true, gateway, conn, Objects.requireNonNull(user), Objects.requireNonNull(room));
    }

    public static Subscription closed(String gateway, String conn, String room) {
      return new Subscription(false, gateway, conn, null, room);
    }

    public JsonObject toJson() {
      JsonObject body = new JsonObject().put("op", open ? "open" : "close").put("gateway", gateway).put("conn", conn);
      if (user != null) {
        body.put("user", user);
      }
      if (room != null) {
        body.put("room", room);
      }
      return body;
    }

    public static Subscription fromJson(JsonObject body) {
      String op = body.getString("op");
      String gateway = text(body, "gateway");
      String conn = text(body, "conn");
      if ("open".equals(op)) {
        return opened(gateway, conn, text(body, "user"), EventRules.key(body, "room"));
      }
      if ("close".equals(op)) {
        return closed(gateway, conn, body.getValue("room") == null ? null : EventRules.key(body, "room"));
      }
      throw Failures.badRequest("'op' must be \"open\" or \"close\"");
    }
  }

  /** A gateway is alive, with this many presence subscriptions. */
  public record GatewayBeat(String gateway, int subscriptions) {
    public JsonObject toJson() {
      return new JsonObject().put("gateway", gateway).put("subscriptions", subscriptions);
    }

    public static GatewayBeat fromJson(JsonObject body) {
      return new GatewayBeat(text(body, "gateway"), (int) EventRules.optionalLong(body, "subscriptions", 0, 0, Integer.MAX_VALUE));
    }
  }

  /** One presence subscription a gateway holds. */
  public record Held(String conn, String user, String room) {
    public JsonObject toJson() {
      return new JsonObject().put("conn", conn).put("user", user).put("room", room);
    }

    public static Held fromJson(JsonObject body) {
      return new Held(text(body, "conn"), text(body, "user"), EventRules.key(body, "room"));
    }
  }

  /** Every presence subscription a gateway holds. */
  public record Snapshot(String gateway, List<Held> subscriptions) {

    public Snapshot {
      subscriptions = List.copyOf(subscriptions);
    }

    public JsonObject toJson() {
      return new JsonObject().put("gateway", gateway)
        .put("subscriptions", new JsonArray(subscriptions.stream().map(Held::toJson).map(Object.class::cast).toList()));
    }

    public static Snapshot fromJson(JsonObject body) {
      if (!(body.getValue("subscriptions") instanceof JsonArray list) || !list.stream().allMatch(JsonObject.class::isInstance)) {
        throw Failures.badRequest("'subscriptions' must be an array of objects");
      }
      return new Snapshot(text(body, "gateway"), list.stream().map(JsonObject.class::cast).map(Held::fromJson).toList());
    }
  }

  /** A member started or stopped typing in a room. */
  public record TypingState(String user, String room, boolean typing) {
    public JsonObject toJson() {
      return new JsonObject().put("user", user).put("room", room).put("typing", typing);
    }

    public static TypingState fromJson(JsonObject body) {
      return new TypingState(text(body, "user"), EventRules.key(body, "room"), Boolean.TRUE.equals(body.getValue("typing")));
    }
  }
}
