package io.hubbub.chat;

import io.hubbub.bus.Failures;
import io.hubbub.client.BridgeClient;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.hubbub.support.Waits;
import io.hubbub.client.PresenceView;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat verticle through the bridge's raw frames: rooms, messages and their rules, presence. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ChatTest {

  @RegisterExtension
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("chat")
    .put("typingSeconds", 1).put("rateLimit", new JsonObject().put("messages", 5).put("perSeconds", 60))
    .put("presence", new JsonObject().put("maxListed", 3))); // answers name 3 members: the paging test has 5
  private TestNode node;

  private Future<BridgeClient> signedIn(String user) {
    return node.user(user).compose(token -> node.bridge(token));
  }

  private static JsonObject room(String room) {
    return new JsonObject().put("room", room);
  }

  private static JsonObject message(String room, String text) {
    return room(room).put("text", text);
  }

  /** The failure code of a request that must fail (-1 if it succeeded). */
  private static Future<Integer> code(Future<?> request) {
    return request.map(ok -> -1).recover(failure -> Future.succeededFuture(((ReplyException) failure).failureCode()));
  }

  @Test
  void membersChatAndEveryoneReadsTheRoom(VertxTestContext ctx) {
    List<JsonObject> r = new CopyOnWriteArrayList<>();
    Function<JsonObject, Void> keep = reply -> {
      r.add(reply);
      return null;
    };
    signedIn("alice").compose(alice -> signedIn("bob").compose(bob ->
      alice.request("chat.join", room("lobby")).map(keep)
        .compose(v -> bob.request("chat.join", room("lobby")).map(keep))
        .compose(v -> alice.request("chat.send", message("lobby", "hi <b>bob</b>").put("id", "m-1")).map(keep))
        .compose(v -> alice.request("chat.send", message("lobby", "hi <b>bob</b>").put("id", "m-1")).map(keep))
        .compose(v -> bob.request("streams.read", new JsonObject().put("stream", "chat.lobby")).map(keep))
        .compose(v -> bob.request("chat.rooms", new JsonObject()).map(keep))))
      .compose(v -> node.adminToken().compose(admin -> node.get("/api/streams/audit.rooms/events", admin)))
      .map(audit -> keep.apply(audit.json()))
      .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertEquals(new JsonArray().add("alice"), r.get(0).getJsonArray("members"));
        assertEquals(new JsonArray().add("alice").add("bob"), r.get(1).getJsonArray("members"));
        JsonObject sent = r.get(2);
        assertEquals("TEXT_SUCCESS", sent.getString("status"));
        assertEquals("chat.lobby", sent.getString("stream"));
        assertEquals(1, sent.getLong("seq"));
        assertEquals("m-1", sent.getString("id"));
        assertEquals(1, r.get(3).getLong("seq"), "a retried id is stored once");
        assertEquals(true, r.get(3).getBoolean("duplicate"));
        JsonArray events = r.get(4).getJsonArray("events");
        assertEquals(1, events.size());
        JsonObject event = events.getJsonObject(0);
        assertEquals("TEXT_MESSAGE", event.getString("type"));
        assertEquals("alice", event.getString("by"));
        assertEquals(new JsonObject().put("text", "hi <b>bob</b>"), event.getJsonObject("data"));
        JsonObject lobby = r.get(5).getJsonArray("rooms").getJsonObject(0);
        assertEquals(new JsonObject().put("name", "lobby").put("memberCount", 2).put("members", new JsonArray().add("alice").add("bob"))
          .put("lastSeq", 1L), lobby);
        JsonArray audit = r.get(6).getJsonArray("events");
        assertEquals(List.of("CREATED", "UPDATED"), audit.stream().map(e -> ((JsonObject) e).getString("type")).toList());
        assertEquals("bob", audit.getJsonObject(1).getJsonObject("data").getString("joined"));
        ctx.completeNow();
      })));
  }

  @Test
  void sendingFollowsTheRules(VertxTestContext ctx) {
    List<Integer> codes = new CopyOnWriteArrayList<>();
    Function<Future<?>, Future<Void>> expect = request -> code(request).map(code -> {
      codes.add(code);
      return null;
    });
    signedIn("carol").compose(carol -> signedIn("dave").compose(dave -> node.bridge(null).compose(anonymous ->
      carol.request("chat.join", room("rules"))
        .compose(v -> expect.apply(carol.request("chat.send", message("rules", ""))))
        .compose(v -> expect.apply(carol.request("chat.send", message("rules", " \n\t "))))
        .compose(v -> expect.apply(carol.request("chat.send", message("rules", "x".repeat(4_001)))))
        .compose(v -> expect.apply(carol.request("chat.send", room("rules").put("text", 42))))
        .compose(v -> expect.apply(carol.request("chat.send", message("no such room!", "hi"))))
        .compose(v -> expect.apply(carol.request("chat.send", message("rules", "hi").put("id", "bad id"))))
        .compose(v -> expect.apply(dave.request("chat.send", message("rules", "not a member"))))
        .compose(v -> expect.apply(dave.request("chat.send", message("nowhere", "no room"))))
        .compose(v -> expect.apply(anonymous.request("chat.send", message("rules", "who am i"))))
        .compose(v -> expect.apply(anonymous.request("chat.join", room("rules"))))
        .compose(v -> expect.apply(dave.request("streams.publish", new JsonObject().put("stream", "chat.rules")
          .put("type", "TEXT_MESSAGE").put("data", new JsonObject().put("text", "via publish, not a member")))))
        .compose(v -> expect.apply(carol.request("streams.publish", new JsonObject().put("stream", "chat.rules")
          .put("type", "OTHER").put("data", new JsonObject().put("text", "wrong type")))))
        .compose(v -> expect.apply(carol.request("streams.publish", new JsonObject().put("stream", "chat.rules")
          .put("type", "TEXT_MESSAGE").put("data", new JsonObject().put("text", "ok").put("html", "<b>")))))
        // the five the conf allows in its window: the longest text, a publish, and three more
        .compose(v -> expect.apply(carol.request("chat.send", message("rules", "x".repeat(4_000)))))
        .compose(v -> expect.apply(carol.request("streams.publish", new JsonObject().put("stream", "chat.rules")
          .put("type", "TEXT_MESSAGE").put("data", new JsonObject().put("text", "via publish")))))
        .compose(v -> expect.apply(carol.request("chat.send", message("rules", "3"))))
        .compose(v -> expect.apply(carol.request("chat.send", message("rules", "4"))))
        .compose(v -> expect.apply(carol.request("chat.send", message("rules", "5"))))
        .compose(v -> expect.apply(carol.request("chat.send", message("rules", "6: too fast"))))
        .compose(v -> carol.request("streams.read", new JsonObject().put("stream", "chat.rules"))))))
      .onComplete(ctx.succeeding(read -> ctx.verify(() -> {
        assertEquals(List.of(400, 400, 400, 400, 400, 400, 403, 404, 401, 401, 403, 400, 400, -1, -1, -1, -1, -1, 429), codes);
        assertEquals(5, read.getJsonArray("events").size(), "only the accepted messages are stored");
        assertEquals(5, read.getLong("lastSeq"));
        ctx.completeNow();
      })));
  }

  @Test
  void leavingEndsSending(VertxTestContext ctx) {
    signedIn("erin").compose(erin -> erin.request("chat.join", room("brief"))
        .compose(v -> erin.request("chat.leave", room("brief")))
        .compose(left -> code(erin.request("chat.send", message("brief", "still here?")))
          .compose(sendCode -> code(erin.request("chat.leave", room("never-made")))
            .map(leaveCode -> List.of(left.getJsonArray("members").size(), sendCode, leaveCode)))))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(List.of(0, Failures.FORBIDDEN, Failures.NOT_FOUND), r);
        ctx.completeNow();
      })));
  }

  @Test
  void presenceFollowsConnectionsAndTyping(Vertx vertx, VertxTestContext ctx) {
    BridgeClient[] fayClient = new BridgeClient[1];
    PresenceView[] fays = new PresenceView[1];
    BiFunction<Set<String>, Set<String>, Boolean> shows = (online, typing) -> fays[0] != null && fays[0].inStep()
      && fays[0].online().equals(online) && fays[0].typing().equals(typing) && fays[0].count() == online.size();
    signedIn("fay").compose(fay -> signedIn("gil").compose(gil ->
      fay.request("chat.join", room("den"))
        .compose(v -> gil.request("chat.join", room("den")))
        .compose(v -> {
          fayClient[0] = fay;
          fays[0] = PresenceView.follow(fay, "den", view -> { });
          return Waits.until(vertx, () -> shows.apply(Set.of("fay"), Set.of()));
        })
        .compose(v -> {
          gil.register("chat.presence.den", frame -> { });
          return Waits.until(vertx, () -> shows.apply(Set.of("fay", "gil"), Set.of()));
        })
        .compose(v -> {
          gil.send("chat.typing", room("den"));
          return Waits.until(vertx, () -> shows.apply(Set.of("fay", "gil"), Set.of("gil")));
        })
        // typing ends by itself (typingSeconds: 1 in this conf)
        .compose(v -> Waits.until(vertx, () -> shows.apply(Set.of("fay", "gil"), Set.of())))
        .compose(v -> gil.close())
        .compose(v -> Waits.until(vertx, () -> shows.apply(Set.of("fay"), Set.of())))
        // asked again (what a client does after a gap), the snapshot is the same picture
        .compose(v -> fay.request("chat.presence", room("den")))))
      .onComplete(ctx.succeeding(snapshot -> ctx.verify(() -> {
        List<JsonObject> seen = fayClient[0].frames.stream().filter(f -> "chat.presence.den".equals(f.getString("address")))
          .map(f -> f.getJsonObject("body")).toList();
        assertEquals("snapshot", snapshot.getString("type"));
        assertEquals(List.of("fay"), snapshot.getJsonArray("online").getList());
        assertTrue(seen.stream().allMatch(p -> "delta".equals(p.getString("type")) ? !p.containsKey("room") : "den".equals(p.getString("room"))),
          "deltas come on the room's address without its name, snapshots name it: " + seen);
        // fay's socket got its own snapshot once, then only the deltas of what changed: gil in, typing, out
        assertEquals(1, seen.stream().filter(p -> "snapshot".equals(p.getString("type"))).count(), seen.toString());
        List<JsonObject> deltas = seen.stream().filter(p -> "delta".equals(p.getString("type"))).toList();
        // her own join (her snapshot is of the moment before it), gil's, his typing, its end, his leaving
        assertEquals(List.of("joined fay", "joined gil", "typing gil", "stopped gil", "left gil"), deltas.stream()
          .map(d -> d.fieldNames().stream().filter(f -> d.getValue(f) instanceof JsonArray).findFirst()
            .map(f -> f + " " + String.join(",", d.getJsonArray(f).getList())).orElse("?")).toList(), seen.toString());
        assertTrue(deltas.stream().noneMatch(d -> d.containsKey("online")), "deltas name changes only: " + seen);
        ctx.completeNow();
      })));
  }

  @Test
  void aSocketWhoseFirstFrameIsThePresenceRegistrationSeesItselfOnline(Vertx vertx, VertxTestContext ctx) {
    // the order of hubbub.js's every reconnect: a new socket registers presence before anything else; ten
    // sockets one after another, each must get a picture listing its user (the room was once recorded only
    // after the bridge's REGISTERED had fired, and the socket got no picture)
    node.user("hal").compose(token -> node.bridge(token).compose(first -> first.request("chat.join", room("den")))
        .compose(joined -> {
          Future<Void> chain = Future.succeededFuture();
          for (int i = 0; i < 10; i++) {
            chain = chain.compose(v -> node.bridge(token).compose(socket -> {
              PresenceView view = PresenceView.follow(socket, "den", changed -> { });
              return Waits.until(vertx, () -> view.inStep() && view.online().contains("hal"))
                .compose(seen -> socket.close());
            }));
          }
          return chain;
        }))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void askingForASnapshotNeedsMembership(Vertx vertx, VertxTestContext ctx) {
    signedIn("jon").compose(jon -> jon.request("chat.join", room("den"))).compose(made -> signedIn("ida"))
      .compose(ida -> code(ida.request("chat.presence", room("den")))
        .compose(notMember -> code(ida.request("chat.presence", room("nowhere")))
          .compose(noRoom -> code(ida.request("chat.presence", new JsonObject().put("room", "caf\u00e9")))
            .map(badName -> List.of(notMember, noRoom, badName)))))
      .onComplete(ctx.succeeding(codes -> ctx.verify(() -> {
        assertEquals(List.of(Failures.FORBIDDEN, Failures.NOT_FOUND, Failures.BAD_REQUEST), codes);
        ctx.completeNow();
      })));
  }

  @Test
  void aRoomsAnswersNameAPageOfMembersWithTheCountAndChatMembersPagesThroughAll(Vertx vertx, VertxTestContext ctx) {
    List<String> names = List.of("m-a", "m-b", "m-c", "m-d", "m-e");
    Future<JsonObject> joined = Future.succeededFuture();
    for (String name : names) {
      joined = joined.compose(v -> signedIn(name).compose(member -> member.request("chat.join", room("big"))));
    }
    joined.compose(last -> signedIn("reader").compose(reader -> reader.request("chat.members", room("big"))
        .compose(first -> reader.request("chat.members", room("big").put("after", first.getString("next")))
          .compose(second -> reader.request("chat.rooms", new JsonObject())
            .compose(rooms -> code(reader.request("chat.members", room("none")))
              .compose(none -> code(reader.request("chat.members", room("big").put("limit", 0)))
                .map(zero -> List.of(last, first, second, rooms, new JsonObject().put("none", none).put("zero", zero)))))))))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(5, r.get(0).getInteger("memberCount"), r.get(0).encode());
        assertEquals(List.of("m-a", "m-b", "m-c"), r.get(0).getJsonArray("members").getList(), "the first 3 by name");
        assertEquals(List.of("m-a", "m-b", "m-c"), r.get(1).getJsonArray("members").getList());
        assertEquals("m-c", r.get(1).getString("next"));
        assertEquals(List.of("m-d", "m-e"), r.get(2).getJsonArray("members").getList());
        assertTrue(!r.get(2).containsKey("next"), "the last page says so");
        JsonObject big = r.get(3).getJsonArray("rooms").stream().map(JsonObject.class::cast)
          .filter(room -> "big".equals(room.getString("name"))).findFirst().orElseThrow();
        assertEquals(5, big.getInteger("memberCount"));
        assertEquals(3, big.getJsonArray("members").size());
        assertEquals(Failures.NOT_FOUND, r.get(4).getInteger("none"));
        assertEquals(Failures.BAD_REQUEST, r.get(4).getInteger("zero"));
        ctx.completeNow();
      })));
  }

  @Test
  void membersJoiningANewRoomAllAtOnceAreAllMembersAndAllSeeEachOther(Vertx vertx, VertxTestContext ctx) {
    // the room is made by whichever join comes first while the others add themselves: none may be lost (a join
    // once was, when the creator's answer replaced the members chat had heard of meanwhile)
    List<String> names = IntStream.range(0, 20).mapToObj(i -> "crowd-" + i).toList();
    List<PresenceView> views = new CopyOnWriteArrayList<>();
    Future.all(names.stream().map(name -> signedIn(name)).toList())
      .compose(all -> Future.all(all.<BridgeClient>list().stream().map(client -> client.request("chat.join", room("rush"))
        .map(joined -> {
          views.add(PresenceView.follow(client, "rush", view -> { }));
          return joined;
        })).toList()))
      .compose(joined -> Waits.until(vertx, () -> views.size() == names.size()
        && views.stream().allMatch(v -> v.inStep() && v.count() == names.size())))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void presenceNeedsASignedInReader(Vertx vertx, VertxTestContext ctx) {
    node.bridge(null).compose(anonymous -> {
      anonymous.register("chat.presence.den", frame -> { });
      return Waits.until(vertx, () -> anonymous.frames.stream().anyMatch(f -> "err".equals(f.getString("type"))
        && "chat.presence.den".equals(f.getString("address")) && f.getInteger("failureCode") == 401));
    }).onComplete(ctx.succeedingThenComplete());
  }
}
