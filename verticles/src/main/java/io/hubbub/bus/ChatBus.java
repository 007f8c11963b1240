package io.hubbub.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Collection;

/**
 * The chat verticle's conversations. The first six are bridged to browsers (PROTOCOL.md,
 * "Event-bus bridge"); the caller is the principal the gateway put in the headers ({@link Caller}).
 *
 * <ul>
 *   <li>{@link #SEND} {@code {room, text, id?}} → {@code {status: "TEXT_SUCCESS", stream, seq, id, ts, duplicate?}};
 *       400 empty or too long, 401, 403 not a member, 404 no such room, 429 too fast</li>
 *   <li>{@link #ROOMS} {@code {}} → {@code {rooms: [{name, members, lastSeq}]}}</li>
 *   <li>{@link #JOIN} / {@link #LEAVE} {@code {room}} → {@code {room, members}}; a room is created on its first join</li>
 *   <li>{@link #TYPING} {@code {room}}, no reply: the caller is typing for the next few seconds</li>
 *   <li>{@code chat.presence.<room>} (published) {@code {room, online, typing}} on every change</li>
 * </ul>
 * Internal, never bridged:
 * <ul>
 *   <li>{@link #PUBLISH} {@code {room, event, by}} → an append result: a {@code TEXT_MESSAGE} published
 *       through {@code streams.publish} or HTTP to a {@code chat.<room>} stream, under the same rules as {@link #SEND}</li>
 *   <li>{@link #SUBSCRIPTIONS} (published) {@code {op: "open"|"close", gateway, conn, user?, room}}: a bridge
 *       connection subscribed to or left a room's presence (each gateway reports its own; {@code close}
 *       without a room means the connection closed). Every chat instance keeps the whole picture and
 *       publishes {@code chat.presence.<room>} to its own node's connections.</li>
 *   <li>{@link #GATEWAYS} (published) {@code {gateway, subscriptions}}: a gateway is alive, with this many
 *       presence subscriptions; a chat instance that counts otherwise asks it for {@link #snapshotAddress}
 *       {@code {}} → {@code {gateway, subscriptions: [{conn, user, room}]}}, and forgets a gateway not heard
 *       from for a while (its node died)</li>
 *   <li>{@link #TYPING_STATE} (published) {@code {user, room, typing}}: a member started or stopped typing</li>
 *   <li>{@link #MEMBERS} (published) {@code {room, members}}: membership changed; chat instances refresh their cache</li>
 * </ul>
 */
public final class ChatBus {

  public static final String SEND = "chat.send";
  public static final String ROOMS = "chat.rooms";
  public static final String JOIN = "chat.join";
  public static final String LEAVE = "chat.leave";
  public static final String TYPING = "chat.typing";
  public static final String PRESENCE_PREFIX = "chat.presence.";

  public static final String PUBLISH = "chat.internal.publish";
  public static final String SUBSCRIPTIONS = "chat.internal.subscriptions";
  public static final String MEMBERS = "chat.internal.members";
  /** {@code {room}} with the caller's principal → {@code {}} when it is a member; 404 no such room, 403 not a member. */
  public static final String MEMBER = "chat.internal.member";
  public static final String GATEWAYS = "chat.internal.gateways";
  public static final String TYPING_STATE = "chat.internal.typing";
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
    return Streams.KEY.matcher(room).matches() ? room : null;
  }

  public static JsonObject members(String room, Collection<String> members) {
    return new JsonObject().put("room", room).put("members", new JsonArray(members.stream().sorted().toList()));
  }

  public static String snapshotAddress(String gateway) {
    return "chat.internal.snapshot." + gateway;
  }

  public static JsonObject subscription(String op, String gateway, String conn, String user, String room) {
    JsonObject body = new JsonObject().put("op", op).put("gateway", gateway).put("conn", conn);
    if (user != null) {
      body.put("user", user);
    }
    if (room != null) {
      body.put("room", room);
    }
    return body;
  }

  public static JsonObject typing(String user, String room, boolean typing) {
    return new JsonObject().put("user", user).put("room", room).put("typing", typing);
  }

  public static JsonObject publish(String room, JsonObject event, String by) {
    return new JsonObject().put("room", room).put("event", event).put("by", by);
  }
}
