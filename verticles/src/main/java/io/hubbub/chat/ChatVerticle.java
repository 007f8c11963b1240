package io.hubbub.chat;

import com.github.benmanes.caffeine.cache.Cache;
import io.hubbub.Caches;
import io.hubbub.bus.AuditBus;
import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Bus;
import io.hubbub.bus.Caller;
import io.hubbub.bus.ChatBus;
import io.hubbub.bus.Consumers;
import io.hubbub.bus.Contract;
import io.hubbub.bus.EventRules;
import io.hubbub.bus.Failures;
import io.hubbub.bus.IsoTimes;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageClient;
import io.hubbub.conf.HubbubConf;
import io.hubbub.limit.SharedRateLimit;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * Rooms, messages and presence. Rooms live in storage's {@code rooms} collection (created on the
 * first join, audited on {@code audit.rooms}); messages are {@code TEXT_MESSAGE} events appended to
 * {@code chat.<room>} for members only, under a per-user rate limit; presence ({@code chat.presence.<room>})
 * is derived from the bridge subscriptions the gateways report ({@link PresenceRelay}) and is never stored.
 */
public final class ChatVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ChatVerticle.class);
  private static final int MAX_CACHED_ROOMS = 10_000;
  private static final int MAX_LISTED_ROOMS = 1_000;
  private static final long MEMBERS_FRESH_SECONDS = 60;
  private static final long SWEEP_MS = 1_000;
  private static final String RATE_LIMIT_MAP = "hubbub.rate.chat";

  private Consumers consumers;
  /** What {@link #membersOf} answers for a room that does not exist. */
  private static final NavigableSet<String> NO_ROOM = Collections.unmodifiableNavigableSet(new TreeSet<>());

  /**
   * Members by room (sorted: a page of names is a walk from a name), as storage last answered and then changed one
   * member at a time by {@link ChatBus#MEMBERS} (changes heard while a room is read are applied on top of the read,
   * {@link #membersOf}); {@link #NO_ROOM} when absent. Entries are read again a minute after loading, so a change
   * message that never arrived is not kept wrong for long.
   */
  private final Cache<String, NavigableSet<String>> members = Caches.bounded(MAX_CACHED_ROOMS, MEMBERS_FRESH_SECONDS);
  /** Rooms being read from storage ({@link #membersOf}). */
  private final Map<String, Load> loading = new HashMap<>();

  /** A read of a room's members from storage, and the member changes heard while it is under way. */
  private record Load(Promise<NavigableSet<String>> done, List<ChatBus.MemberChange> heard) {
  }
  /** The most member names one answer carries ({@code chat.presence.maxListed}); more come by {@code chat.members}. */
  private int maxListed;
  private SharedRateLimit rateLimit;
  private PresenceRelay relay;
  private final HubbubConf conf;
  private final int maxTextLength;
  private final long typingMs;
  private final long timeoutMs;
  private StorageClient storage;
  private long sweeper;

  public ChatVerticle(HubbubConf conf) {
    this.conf = conf;
    this.maxTextLength = conf.chat().maxTextLength();
    this.typingMs = conf.chat().typingSeconds() * 1_000L;
    this.timeoutMs = conf.mongo().busTimeoutMs();
  }

  @Override
  public Future<?> start() {
    rateLimit = SharedRateLimit.create(vertx, RATE_LIMIT_MAP, conf.chat().rateMessages(), conf.chat().ratePerSeconds() * 1_000L);
    storage = new StorageClient(vertx, conf.storage().partitions(), timeoutMs);
    consumers = new Consumers(vertx.eventBus());
    serve(ChatBus.SEND, this::send);
    serve(ChatBus.PUBLISH.address(), ChatBus.PUBLISH.rawHandler((post, headers) -> publish(post)));
    serve(ChatBus.ROOMS, (body, headers) -> rooms(headers));
    serve(ChatBus.JOIN, this::join);
    serve(ChatBus.MEMBERS_PAGE, this::membersPage);
    serve(ChatBus.LEAVE, this::leave);
    serve(ChatBus.TYPING, this::typing);
    serve(ChatBus.MEMBER.address(), ChatBus.MEMBER.rawHandler(this::member));
    serve(ChatBus.DELETE_ROOM.address(), ChatBus.DELETE_ROOM.rawHandler(this::deleteRoom));
    consumers.add(ChatBus.ERASE.consumer(vertx.eventBus(), erasure -> eraseNow(erasure.user())
      .onFailure(failure -> log.warn("erasure cut short, done at the next start [user: {}, error: {}]", erasure.user(),
        failure.getMessage()))));
    consumers.add(ChatBus.ROOM_DELETED.consumer(vertx.eventBus(), gone -> members.invalidate(gone.room())));
    maxListed = Math.max(1, conf.chat().presenceMaxListed());
    relay = new PresenceRelay(vertx, typingMs, timeoutMs, conf.chat().presenceMaxListed(), conf.chat().presenceCoalesceMs());
    consumers.addAll(relay.consumers());
    consumers.add(ChatBus.MEMBERS.consumer(vertx.eventBus(), this::memberChanged));
    sweeper = vertx.setPeriodic(SWEEP_MS, t -> sweep());
    return consumers.ready().onSuccess(v -> resumeErasures());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweeper);
    return consumers.unregister();
  }

  private Future<JsonObject> send(JsonObject body, MultiMap headers) {
    String user = Caller.user(headers);
    String room = room(body);
    JsonObject event = new JsonObject().put("type", ChatBus.MESSAGE_TYPE).put("data", new JsonObject().put("text", text(body.getValue("text"))));
    if (body.containsKey("id")) {
      event.put("id", body.getValue("id"));
    }
    return post(user, room, EventRules.checkEvent(event, Integer.MAX_VALUE, Set.of(), "message"))
      .map(result -> new JsonObject().put("status", ChatBus.SUCCESS).mergeIn(result));
  }

  /** A {@code TEXT_MESSAGE} that came through {@code streams.publish} or HTTP: the same rules as chat.send. */
  private Future<JsonObject> publish(ChatBus.Post post) {
    JsonObject event = post.event();
    if (!ChatBus.MESSAGE_TYPE.equals(event.getString("type"))) {
      throw Failures.badRequest("chat rooms take only '" + ChatBus.MESSAGE_TYPE + "' events");
    }
    JsonObject data = event.getJsonObject("data");
    if (data.size() != 1 || !data.containsKey("text")) {
      throw Failures.badRequest("a chat message's data is {\"text\": \"...\"}");
    }
    text(data.getValue("text"));
    return post(post.by(), post.room(), event);
  }

  private Future<JsonObject> post(String user, String room, JsonObject event) {
    return membersOf(room).compose(found -> {
      if (found == NO_ROOM) {
        throw Failures.of(Failures.NOT_FOUND, "no room '" + room + "': chat.join creates it");
      }
      if (!found.contains(user)) {
        throw Failures.of(Failures.FORBIDDEN, user + " is not a member of '" + room + "': chat.join first");
      }
      return rateLimit.acquire(user);
    }).compose(waitSeconds -> {
      if (waitSeconds > 0) {
        throw Failures.of(Failures.RATE_LIMITED, "too many messages: wait " + waitSeconds + " s");
      }
      if (relay.isTyping(user, room)) {
        ChatBus.TYPING_STATE.publish(vertx.eventBus(), new ChatBus.TypingState(user, room, false));
      }
      JsonObject append = StorageBus.event(ChatBus.stream(room), event, user);
      return storage.request(StorageBus.APPEND, StorageBus.Append.of(append)).map(stored -> stored.first().toJson());
    });
  }

  private Future<JsonObject> rooms(MultiMap headers) {
    Caller.user(headers);
    return storage(StorageBus.DOC_LIST, StorageBus.docList(ChatBus.ROOMS_COLLECTION, MAX_LISTED_ROOMS))
      .compose(found -> {
        List<Future<JsonObject>> rooms = found.stream().map(doc -> {
          String room = doc.getString("_id");
          NavigableSet<String> names = memberList(doc);
          return storage.request(StorageBus.META, new StorageBus.StreamKey(ChatBus.stream(room))).map(meta -> new JsonObject()
            .put("name", room)
            .put("memberCount", names.size())
            .put("members", page(names, null, maxListed))
            .put("lastSeq", meta.lastSeq()));
        }).toList();
        return Future.all(rooms).map(all -> new JsonObject().put("rooms", new JsonArray(all.list())));
      });
  }

  /** Joins a room, creating it (and its audit record) when nobody has yet. */
  private Future<JsonObject> join(JsonObject body, MultiMap headers) {
    String user = Caller.user(headers);
    String room = room(body);
    JsonObject doc = new JsonObject().put("_id", room).put("members", new JsonArray().add(user))
      .put("createdBy", user).put("created", IsoTimes.format(Instant.now()));
    return storage(StorageBus.DOC_INSERT, StorageBus.docInsert(ChatBus.ROOMS_COLLECTION, doc))
      // a room made again starts empty, even if its predecessor's deletion left a message behind
      .compose(created -> forgetHistory(room))
      .compose(created -> audit("CREATED", new JsonObject().put("room", room).put("members", new JsonArray().add(user)), user)
        .map(v -> true)) // the cache learns it as any join (others may have joined since the insert)
      .recover(failure -> Failures.code(failure) != Failures.CONFLICT ? Future.failedFuture(failure)
        : change(StorageBus.DOC_ADD, room, user, "joined"))
      .compose(changed -> announce(room, user, true));
  }

  private Future<JsonObject> leave(JsonObject body, MultiMap headers) {
    String user = Caller.user(headers);
    String room = room(body);
    return change(StorageBus.DOC_REMOVE, room, user, "left")
      .recover(failure -> Future.failedFuture(Failures.code(failure) == Failures.NOT_FOUND
        ? Failures.of(Failures.NOT_FOUND, "no room '" + room + "'") : failure))
      .compose(changed -> announce(room, user, false));
  }

  /**
   * Adds or removes a member in storage (whose answer says only whether it changed anything: a join must not cost the
   * room's whole list); audits it when it did.
   */
  private Future<Boolean> change(Contract<StorageBus.DocChange, JsonObject> address, String room, String user, String what) {
    return storage(address, StorageBus.docChange(ChatBus.ROOMS_COLLECTION, room, "members", user))
      .compose(reply -> {
        boolean changed = reply.getBoolean("changed", true);
        return (changed ? audit("UPDATED", new JsonObject().put("room", room).put(what, user), user) : Future.<Void>succeededFuture())
          .map(v -> changed);
      });
  }

  /**
   * Tells every chat instance that one member joined or left (the change, not the list), and answers the caller
   * {@code {room, memberCount, members}} with the first names.
   */
  private Future<JsonObject> announce(String room, String user, boolean member) {
    ChatBus.MemberChange change = new ChatBus.MemberChange(room, user, member);
    memberChanged(change);
    ChatBus.MEMBERS.publish(vertx.eventBus(), change);
    return membersOf(room).map(now -> new JsonObject().put("room", room).put("memberCount", now.size())
      .put("members", page(now, null, maxListed)));
  }

  /** Another instance's (or this one's) member change, applied to the cached list if there is one. */
  private void memberChanged(ChatBus.MemberChange change) {
    Load load = loading.get(change.room());
    if (load != null) {
      load.heard().add(change); // the room is being read: applied on top of the answer
    }
    NavigableSet<String> cached = members.getIfPresent(change.room());
    if (cached == NO_ROOM) {
      members.invalidate(change.room()); // made (again) meanwhile: read it when next asked
    } else if (cached != null) {
      apply(change, cached);
    }
  }

  private static void apply(ChatBus.MemberChange change, Set<String> names) {
    if (change.member()) {
      names.add(change.user());
    } else {
      names.remove(change.user());
    }
  }

  /** {@code chat.members {room, after?, limit?}}: a page of a room's members by name, for signed-in users. */
  private Future<JsonObject> membersPage(JsonObject body, MultiMap headers) {
    Caller.user(headers);
    String room = room(body);
    String after = body.getValue("after") instanceof String a ? a : null;
    if (body.containsKey("after") && after == null) {
      throw Failures.badRequest("'after' must be the last name of the previous page");
    }
    int limit = (int) EventRules.optionalLong(body, "limit", maxListed, 1, 1_000);
    return membersOf(room).map(found -> {
      if (found == NO_ROOM) {
        throw Failures.of(Failures.NOT_FOUND, "no room '" + room + "'");
      }
      JsonArray names = page(found, after, limit);
      JsonObject answer = new JsonObject().put("room", room).put("memberCount", found.size()).put("members", names);
      if (names.size() == limit && !names.isEmpty() && found.higher(names.getString(names.size() - 1)) != null) {
        answer.put("next", names.getString(names.size() - 1));
      }
      return answer;
    });
  }

  /** Up to {@code limit} names of a sorted member set after {@code after} (from the first: null). */
  private static JsonArray page(NavigableSet<String> names, String after, int limit) {
    JsonArray page = new JsonArray();
    for (String name : after == null ? names : names.tailSet(after, false)) {
      if (page.size() >= limit) {
        break;
      }
      page.add(name);
    }
    return page;
  }

  private Future<Void> typing(JsonObject body, MultiMap headers) {
    String user = Caller.user(headers);
    String room = room(body);
    return membersOf(room).map(found -> {
      // throttled per user: while the mark has more than half its time left, a repeat would only extend it
      if (found.contains(user) && !relay.typingFresh(user, room, System.currentTimeMillis())) {
        ChatBus.TYPING_STATE.publish(vertx.eventBus(), new ChatBus.TypingState(user, room, true));
      }
      return null;
    });
  }

  /** Whether the caller may watch a room's presence: the room exists and the caller is one of its members. */
  private Future<JsonObject> member(ChatBus.RoomKey key, MultiMap headers) {
    String user = Caller.user(headers);
    String room = key.room();
    return membersOf(room).map(found -> {
      if (found == NO_ROOM) {
        throw Failures.of(Failures.NOT_FOUND, "no room '" + room + "'");
      }
      if (!found.contains(user)) {
        throw Failures.of(Failures.FORBIDDEN, user + " is not a member of '" + room + "': join it first");
      }
      return new JsonObject();
    });
  }

  /**
   * Deletes a room (an admin or its creator only): its history first, then the room (from then on no message is
   * accepted), then once more, a send timeout later, whatever a message accepted meanwhile added. A failure before
   * the room is gone is a 503 whose retry does it all again; once it is gone, the answer is 204, and a trail that
   * cannot be written is logged. A room made again under the name starts empty ({@link #join}).
   * Audited as {@code DELETED} on {@code audit.rooms}.
   */
  private Future<JsonObject> deleteRoom(ChatBus.RoomKey key, MultiMap headers) {
    JsonObject principal = Caller.principal(headers);
    if (principal == null) {
      throw Failures.of(Failures.UNAUTHORIZED, "authentication required");
    }
    String room = key.room();
    String by = principal.getString("name");
    return storage(StorageBus.DOC_FIND, StorageBus.docKey(ChatBus.ROOMS_COLLECTION, room))
      .recover(failure -> Future.failedFuture(Failures.code(failure) == Failures.NOT_FOUND
        ? Failures.of(Failures.NOT_FOUND, "no room '" + room + "'") : failure))
      .compose(doc -> {
        boolean creator = AuthBus.KIND_USER.equals(principal.getString("kind")) && by.equals(doc.getString("createdBy"));
        if (!principal.getBoolean("admin", false) && !creator) {
          throw Failures.of(Failures.FORBIDDEN, "only an admin or the room's creator deletes '" + room + "'");
        }
        return forgetHistory(room);
      })
      .compose(dropped -> storage(StorageBus.DOC_DELETE, StorageBus.docKey(ChatBus.ROOMS_COLLECTION, room)))
      .map(deleted -> {
        members.put(room, NO_ROOM);
        ChatBus.ROOM_DELETED.publish(vertx.eventBus(), new ChatBus.RoomKey(room));
        vertx.setTimer(timeoutMs, t -> membersOf(room).compose(now -> now == NO_ROOM ? forgetHistory(room) : Future.succeededFuture())
          .onFailure(failure -> log.warn("room history not checked again [room: {}, error: {}]", room, failure.getMessage())));
        audit("DELETED", new JsonObject().put("room", room), by)
          .onFailure(failure -> log.warn("room deletion not audited [room: {}, error: {}]", room, failure.getMessage()));
        return new JsonObject();
      });
  }

  /** Drops every event a room's stream holds now; answers how many there were. */
  private Future<Long> forgetHistory(String room) {
    return storage.truncateAll(ChatBus.stream(room));
  }

  /**
   * Erases a deleted user from chat, queued by auth (a document of {@link ChatBus#ERASURES_COLLECTION}): every room's
   * membership ends and every room's messages by the user are redacted, one room after another, and the queue entry
   * goes once all is done. An erasure cut short (a failure, a node that died), or queued while no chat instance ran,
   * is done at the next start of a chat instance.
   */
  private Future<Void> eraseNow(String user) {
    return storage(StorageBus.DOC_LIST, StorageBus.docList(ChatBus.ROOMS_COLLECTION, StorageBus.MAX_DOCS))
      .compose(rooms -> {
        Future<Void> done = Future.succeededFuture();
        for (JsonObject doc : rooms) { // one room after another: an erasure is background work
          String room = doc.getString("_id");
          done = done.compose(v -> leave(room, user, memberList(doc).contains(user)))
            .compose(v -> storage.request(StorageBus.REDACT, new StorageBus.Redact(ChatBus.stream(room), user)))
            .mapEmpty();
        }
        return done;
      })
      .compose(v -> storage(StorageBus.DOC_DELETE, StorageBus.docKey(ChatBus.ERASURES_COLLECTION, user)))
      .onSuccess(v -> log.info("user erased from chat [user: {}]", user))
      .mapEmpty();
  }

  /** Ends a deleted user's membership of a room, when they had one. */
  private Future<Void> leave(String room, String user, boolean member) {
    return member ? change(StorageBus.DOC_REMOVE, room, user, "left").compose(changed -> announce(room, user, false)).mapEmpty()
      : Future.succeededFuture();
  }

  /** Erasures a node that died left unfinished, one after another, retried at the next start when they fail again. */
  private void resumeErasures() {
    storage(StorageBus.DOC_LIST, StorageBus.docList(ChatBus.ERASURES_COLLECTION, StorageBus.MAX_DOCS))
      .compose(pending -> {
        Future<Void> done = Future.succeededFuture();
        for (JsonObject entry : pending) {
          done = done.compose(v -> eraseNow(entry.getString("_id")));
        }
        return done;
      })
      .onFailure(failure -> log.warn("unfinished erasures not resumed [error: {}]", failure.getMessage()));
  }

  private void sweep() {
    relay.sweep(System.currentTimeMillis());
  }

  /** The members of a room ({@link #NO_ROOM} when there is no such room), from the cache or storage. */
  private Future<NavigableSet<String>> membersOf(String room) {
    NavigableSet<String> cached = members.getIfPresent(room);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    Load inFlight = loading.get(room);
    if (inFlight != null) {
      return inFlight.done().future();
    }
    // member changes heard while the room is read may or may not be in what the read answers: noted, then
    // applied on top of it in the order heard (each is one user in or out, so one already in the answer is no harm)
    Load load = new Load(Promise.promise(), new ArrayList<>());
    loading.put(room, load); // before the read: an answer that comes at once finds it to remove
    storage(StorageBus.DOC_FIND, StorageBus.docKey(ChatBus.ROOMS_COLLECTION, room))
      .map(ChatVerticle::memberList)
      .recover(failure -> Failures.code(failure) == Failures.NOT_FOUND
        ? Future.succeededFuture(NO_ROOM) : Future.failedFuture(failure))
      .map(found -> {
        NavigableSet<String> now = found == NO_ROOM && !load.heard().isEmpty() ? new TreeSet<>() : found; // made meanwhile
        load.heard().forEach(change -> apply(change, now));
        members.put(room, now);
        return now;
      })
      .andThen(done -> loading.remove(room))
      .onComplete(load.done());
    return load.done().future();
  }

  private Future<Void> audit(String type, JsonObject data, String by) {
    return AuditBus.tell(vertx.eventBus(), new AuditBus.Change(ChatBus.ROOMS_COLLECTION, type, data, by), timeoutMs);
  }

  private <Q, R> Future<R> storage(Contract<Q, R> contract, Q request) {
    return storage.request(contract, request);
  }

  /** Serves a chat address; its 401 and 403 answers to clients' frames go to the access trail, as the gateway's do. */
  private <T> void serve(String address, BiFunction<JsonObject, MultiMap, Future<T>> handler) {
    consumers.add(Bus.serve(vertx.eventBus(), address, (body, headers) -> {
      Future<T> result;
      try {
        result = handler.apply(body, headers);
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      return result.onFailure(failure -> {
        // a client's frame, forwarded by the bridge, is recorded here; requests the gateway makes itself
        // (chat.internal.*) are recorded by the gateway, under what the client called
        String target = headers.get(Caller.TARGET_HEADER);
        if (target != null) {
          AuditBus.refused(vertx.eventBus(), Caller.name(headers), Caller.remote(headers), target, failure);
        }
      });
    }));
  }

  private String text(Object value) {
    if (!(value instanceof String text) || text.isBlank()) {
      throw Failures.badRequest("'text' must be a non-empty string");
    }
    EventRules.checkUnicode(text, "text");
    if (EventRules.isInvisible(text)) {
      throw Failures.badRequest("'text' shows nothing: it is only spaces or invisible characters");
    }
    int length = text.codePointCount(0, text.length());
    if (length > maxTextLength) {
      throw Failures.badRequest("'text' is " + length + " characters, more than " + maxTextLength);
    }
    return text;
  }

  private static String room(JsonObject body) {
    return EventRules.key(body, "room");
  }

  /** A room document's members, sorted (the cache's form: a page is a walk from a name). */
  private static NavigableSet<String> memberList(JsonObject doc) {
    JsonArray list = doc.getJsonArray("members", new JsonArray());
    NavigableSet<String> names = new TreeSet<>();
    list.forEach(name -> names.add((String) name));
    return names;
  }
}
