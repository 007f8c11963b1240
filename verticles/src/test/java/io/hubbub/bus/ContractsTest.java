package io.hubbub.bus;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The typed requests read back what they write, and a request that does not hold what its contract says is a 400. */
class ContractsTest {

  private static void refused(Runnable read, String message) {
    assertThatThrownBy(read::run).satisfies(e -> {
      assertThat(Failures.code(e)).isEqualTo(Failures.BAD_REQUEST);
      assertThat(e.getMessage()).contains(message);
    });
  }

  @Test
  void anAuditChangeRoundTripsAndIsChecked() {
    AuditBus.Change change = new AuditBus.Change("rooms", "CREATED", new JsonObject().put("room", "den"), "ada");
    assertThat(AuditBus.Change.fromJson(AuditBus.RECORD.writeRequest().apply(change))).isEqualTo(change);
    refused(() -> AuditBus.Change.fromJson(change.toJson().put("collection", "sessions")), "'collection' must be one of");
    refused(() -> AuditBus.Change.fromJson(change.toJson().put("type", "ERASED")), "'type' one of");
    refused(() -> AuditBus.Change.fromJson(change.toJson().put("by", "")), "'by' name who did it");
    refused(() -> AuditBus.Change.fromJson(change.toJson().put("data", "text")), "'data' must be an object");
    refused(() -> AuditBus.Change.fromJson(change.toJson().put("data", new JsonObject().put("$set", 1))), "data");
  }

  @Test
  void aRefusalIsReadLeniently() {
    AuditBus.Refusal refusal = AuditBus.Refusal.fromJson(new JsonObject().put("remote", 42).put("code", "403"));
    assertThat(refusal).isEqualTo(new AuditBus.Refusal("", "42", "", "", 0));
    AuditBus.Refusal full = new AuditBus.Refusal("mallory", "10.0.0.9", "streams.publish", "not a member", 403);
    assertThat(AuditBus.Refusal.fromJson(full.toJson())).isEqualTo(full);
  }

  @Test
  void sensorsRequestsRoundTripAndAreChecked() {
    assertThat(SensorsBus.Device.fromJson(new SensorsBus.Device("probe-1").toJson())).isEqualTo(new SensorsBus.Device("probe-1"));
    refused(() -> SensorsBus.Device.fromJson(new JsonObject().put("deviceId", "no spaces")), "'deviceId' must be 1 to 128 letters A-Z or a-z (no accents), digits, '-' or '_'");

    SensorsBus.AggregatesQuery query = SensorsBus.AggregatesQuery.fromJson(new JsonObject().put("deviceId", "probe-1")
      .put("kind", "temperature").put("from", "2026-12-01T10:00:00Z"));
    assertThat(query).isEqualTo(new SensorsBus.AggregatesQuery("probe-1", "temperature", "1m", Instant.parse("2026-12-01T10:00:00Z"), null));
    assertThat(SensorsBus.AggregatesQuery.fromJson(query.toJson())).isEqualTo(query);
    JsonObject base = query.toJson();
    refused(() -> SensorsBus.AggregatesQuery.fromJson(base.copy().put("kind", "Temp")), "'kind' must be 1 to 32 lowercase letters");
    refused(() -> SensorsBus.AggregatesQuery.fromJson(base.copy().put("window", "1d")), "'window' must be one of");
    refused(() -> SensorsBus.AggregatesQuery.fromJson(base.copy().put("to", "yesterday")), "'to' must be an ISO-8601 time");
    refused(() -> SensorsBus.AggregatesQuery.fromJson(base.copy().put("to", "2026-12-01T09:00:00Z")), "'from' is after 'to'");
  }

  @Test
  void authRequestsRoundTripAndAreChecked() {
    AuthBus.Credentials credentials = new AuthBus.Credentials("ada", "a-long-password", "10.0.0.1");
    assertThat(AuthBus.Credentials.fromJson(credentials.toJson())).isEqualTo(credentials);
    assertThat(AuthBus.Credentials.fromJson(new AuthBus.Credentials("ada", "pw", null).toJson()).remote()).as("from inside").isNull();
    refused(() -> AuthBus.Credentials.fromJson(credentials.toJson().put("password", 12345678)), "'password' must be a string");
    refused(() -> AuthBus.Token.fromJson(new JsonObject()), "'token' must be a string");

    AuthBus.NewDevice named = AuthBus.NewDevice.fromJson(new JsonObject().put("deviceId", "probe-1").put("by", "admin"));
    assertThat(named).as("named after its id when no name is given").isEqualTo(new AuthBus.NewDevice("probe-1", "probe-1", "admin"));
    assertThat(AuthBus.NewDevice.fromJson(named.toJson())).isEqualTo(named);
    refused(() -> AuthBus.NewDevice.fromJson(named.toJson().put("name", "   ")), "'name' must be a string of 1 to 128");
    refused(() -> AuthBus.NewDevice.fromJson(named.toJson().put("name", "x".repeat(129))), "'name' must be a string of 1 to 128");
    AuthBus.NewDevice keyed = new AuthBus.NewDevice("probe-1", "Probe", "admin", "reg:42");
    assertThat(AuthBus.NewDevice.fromJson(keyed.toJson())).as("with an Idempotency-Key").isEqualTo(keyed);
    refused(() -> AuthBus.NewDevice.fromJson(keyed.toJson().put("idempotencyKey", "a b")), "the Idempotency-Key must be 1 to 64");
    refused(() -> AuthBus.NewDevice.fromJson(keyed.toJson().put("idempotencyKey", "k".repeat(65))), "the Idempotency-Key must be 1 to 64");
    refused(() -> AuthBus.NewDevice.fromJson(keyed.toJson().put("idempotencyKey", 7)), "the Idempotency-Key must be 1 to 64");
    refused(() -> AuthBus.DeviceRemoval.fromJson(new JsonObject().put("deviceId", "a/b")), "'deviceId' must be 1 to 128 letters A-Z or a-z (no accents), digits, '-' or '_'");
    AuthBus.DeviceChanged created = new AuthBus.DeviceChanged("probe-1", true);
    assertThat(AuthBus.DeviceChanged.fromJson(created.toJson())).isEqualTo(created);
    assertThat(created.toJson().getString("op")).isEqualTo("created");
    assertThat(AuthBus.Revoked.fromJson(AuthBus.Revoked.session("t0k").toJson())).isEqualTo(AuthBus.Revoked.session("t0k"));
    assertThat(AuthBus.Revoked.fromJson(AuthBus.Revoked.device("probe-1").toJson())).isEqualTo(AuthBus.Revoked.device("probe-1"));
    refused(() -> AuthBus.Revoked.fromJson(new JsonObject()), "names a 'token', a 'device' or a 'user'");
    assertThat(AuthBus.Revoked.fromJson(AuthBus.Revoked.user("ada").toJson())).isEqualTo(AuthBus.Revoked.user("ada"));
  }

  @Test
  void documentRequestsRoundTripAndAreChecked() {
    StorageBus.DocChange change = StorageBus.docChange("rooms", "r1", "members", "ada");
    assertThat(StorageBus.DocChange.fromJson(change.toJson())).isEqualTo(change);
    assertThat(change.key()).isEqualTo(StorageBus.docKey("rooms", "r1"));
    refused(() -> StorageBus.DocChange.fromJson(change.toJson().put("field", "$set")), "'field' must be a field name");
    refused(() -> StorageBus.DocChange.fromJson(change.toJson().put("field", "_id")), "'field' must be a field name");
    refused(() -> StorageBus.DocChange.fromJson(change.toJson().put("value", new JsonObject())), "'value' must be a string");
    refused(() -> StorageBus.DocKey.fromJson(new JsonObject().put("collection", "users").put("id", "")), "'id' must be a string of 1 to 256");
    refused(() -> StorageBus.DocKey.fromJson(new JsonObject().put("id", "u1")), "'collection' must name a collection");
    refused(() -> StorageBus.DocInsert.fromJson(StorageBus.docInsert("users", new JsonObject().put("_id", 7)).toJson()), "string '_id'");
    refused(() -> StorageBus.DocInsert.fromJson(StorageBus.docInsert("users", new JsonObject().put("_id", "u").put("$where", 1)).toJson()),
      "doc");
    refused(() -> StorageBus.DocPut.fromJson(StorageBus.docPut("aggregates", new JsonArray()).toJson()), "'docs' must be an array of 1 to");
    refused(() -> StorageBus.DocGet.fromJson(StorageBus.docGet("aggregates", new JsonArray().add(1)).toJson()), "'ids' must be an array");
    assertThat(StorageBus.DocList.fromJson(new JsonObject().put("collection", "rooms")).limit()).as("the default limit").isEqualTo(1_000);
    refused(() -> StorageBus.DocList.fromJson(StorageBus.docList("rooms", 0).toJson()), "limit");
  }

  /**
   * Only a {@link StorageBus.Checking} marks an append checked, and only after checking each event as
   * {@link EventRules#checkEvent} does; nothing read from JSON is ever marked, so storage checks again whatever came
   * over the wire, and what was checked under a larger data limit than its own.
   */
  @Test
  void anAppendIsMarkedCheckedOnlyByCheckingItsEvents() {
    StorageBus.Checking checking = new StorageBus.Checking("app.orders", "ada", 100, 2);
    JsonObject raw = new JsonObject().put("type", "PLACED").put("data", new JsonObject().put("n", 1)).put("id", "o-1")
      .put("stream", "ignored").put("junk", 1);
    refused(() -> checking.add(raw, java.util.Set.of("stream"), "event [0]"), "event [0]: unknown field 'junk'");
    raw.remove("junk");
    JsonObject clean = checking.add(raw, java.util.Set.of("stream"), "event [0]");
    assertThat(clean).isEqualTo(new JsonObject().put("type", "PLACED").put("data", new JsonObject().put("n", 1))
      .put("id", "o-1").put("stream", "app.orders").put("by", "ada"));
    assertThat(raw.getString("stream")).as("the client's event is left as it was").isEqualTo("ignored");
    assertThatThrownBy(() -> checking.add(new JsonObject().put("type", "PLACED").put("data",
      new JsonObject().put("text", "x".repeat(200))), java.util.Set.of(), "event [1]"))
      .satisfies(e -> assertThat(Failures.code(e)).isEqualTo(Failures.TOO_LARGE));
    refused(() -> new StorageBus.Checking("Bad name", "ada", 100, 1), "is not a stream name");
    refused(() -> new StorageBus.Checking("app.orders", "", 100, 1), "'by' must name");

    StorageBus.Append append = checking.append();
    assertThat(append.events()).containsExactly(clean);
    assertThat(append.checkedWithin(100)).isTrue();
    assertThat(append.checkedWithin(65_536)).isTrue();
    assertThat(append.checkedWithin(99)).as("checked under a larger limit than the server's").isFalse();
    StorageBus.Append read = StorageBus.Append.fromJson(StorageBus.APPEND.writeRequest().apply(append));
    assertThat(read.events()).isEqualTo(append.events());
    assertThat(read.checkedWithin(Integer.MAX_VALUE)).as("read from JSON: never checked").isFalse();
    assertThat(StorageBus.Append.of(clean).checkedWithin(Integer.MAX_VALUE)).isFalse();
    assertThat(new StorageBus.Append(java.util.List.of(clean, clean), append.checked()).checkedWithin(65_536))
      .as("the mark moved to other events").isFalse();
    assertThat(new StorageBus.Append(append.events(), append.checked()).checkedWithin(100))
      .as("the same events, the same mark").isTrue();
    assertThat(StorageBus.route(StorageBus.APPEND.address(), append, 16))
      .as("routed as its JSON is").isEqualTo(StorageBus.route(StorageBus.APPEND.address(), append.toJson(), 16));
  }

  /** The HTTP API answers a batch's acks written straight: the very bytes Vert.x encodes of their JSON. */
  @Test
  void acksWrittenStraightAreVertxsJsonOfThem() {
    java.util.List<StorageBus.Ack> acks = new java.util.ArrayList<>();
    for (int i = 0; i < 300; i++) {
      acks.add(new StorageBus.Ack(i % 2 == 0 ? "app.orders" : "sensor.d-1", i * 1_000_003L, "id-\"\u00e9\u0001-" + i,
        i % 3 == 0 ? null : "2026-12-07T08:00:00." + i + "Z", i % 7 == 0));
    }
    StorageBus.Appended appended = new StorageBus.Appended(acks);
    assertThat(appended.toJsonBuffer().toString()).isEqualTo(Json.encodeToBuffer(appended.toJsonArray()).toString());
    assertThat(appended.toJsonBuffer().getBytes()).isEqualTo(Json.encodeToBuffer(appended.toJsonArray()).getBytes());
  }

  @Test
  void streamRequestsRoundTripAndAreChecked() {
    JsonObject checked = new JsonObject().put("type", "PLACED").put("data", new JsonObject().put("n", 1));
    JsonObject event = StorageBus.event("app.orders", checked, "ada");
    assertThat(event).isEqualTo(checked.copy().put("stream", "app.orders").put("by", "ada"));
    assertThat(checked.fieldNames()).as("the checked event is left as it was").containsExactly("type", "data");
    StorageBus.Append append = StorageBus.Append.of(event);
    assertThat(StorageBus.Append.fromJson(StorageBus.APPEND.writeRequest().apply(append))).isEqualTo(append);
    refused(() -> StorageBus.Append.fromJson(new JsonObject().put("events", new JsonArray())), "'events' must be an array of 1 to");
    refused(() -> StorageBus.Append.fromJson(new JsonObject().put("events", new JsonArray().add("x"))), "events[0] must be an object");
    refused(() -> StorageBus.Append.fromJson(StorageBus.Append.of(event.copy().put("stream", "Bad")).toJson()), "'stream' is not a valid");
    refused(() -> StorageBus.Append.fromJson(StorageBus.Append.of(event.copy().put("by", "")).toJson()), "'by' must name");
    // a name is checked once for a run of events of one stream, and again for every other name after it
    JsonArray mixed = new JsonArray().add(event).add(event).add(event.copy().put("stream", "app.other")).add(event)
      .add(event.copy().put("stream", "Bad")).add(event);
    refused(() -> StorageBus.Append.fromJson(new JsonObject().put("events", mixed)), "events[4]: 'stream' is not a valid");
    refused(() -> StorageBus.Append.fromJson(new JsonObject().put("events", new JsonArray().add(event)
      .add(event.copy().put("stream", 7)))), "events[1]: 'stream' is not a valid");
    StorageBus.Appended appended = new StorageBus.Appended(java.util.List.of(
      new StorageBus.Ack("app.orders", 1, "id-1", "2026-12-07T08:00:00.000Z", false),
      new StorageBus.Ack("app.orders", 1, "id-1", "2026-12-07T08:00:00.000Z", true)));
    assertThat(StorageBus.Appended.fromJson(appended.toJson())).isEqualTo(appended);
    assertThat(appended.toJsonArray().getJsonObject(0).fieldNames()).containsExactly("stream", "seq", "id", "ts");
    assertThat(appended.toJsonArray().getJsonObject(1).getBoolean("duplicate")).isTrue();
    // a reply that is not what storage writes is storage's fault: 500, not the caller's 400
    assertThatThrownBy(() -> StorageBus.Appended.fromJson(new JsonObject()))
      .satisfies(e -> assertThat(Failures.code(e)).isEqualTo(Failures.INTERNAL)).hasMessageContaining("without its results");
    assertThatThrownBy(() -> StorageBus.Appended.fromJson(new JsonObject().put("results", new JsonArray().add(new JsonObject()))))
      .satisfies(e -> assertThat(Failures.code(e)).isEqualTo(Failures.INTERNAL)).hasMessageContaining("without its seq");

    assertThat(StorageBus.Read.fromJson(new JsonObject().put("stream", "app.orders").put("from", 0)))
      .as("from 0 reads from the first, 100 at a time by default").isEqualTo(new StorageBus.Read("app.orders", 1, 100));
    refused(() -> StorageBus.Read.fromJson(new StorageBus.Read("app.orders", 1, 5000).toJson()), "limit");
    refused(() -> StorageBus.Read.fromJson(new JsonObject().put("stream", new JsonObject().put("$gt", ""))), "'stream' is not a valid");
    StorageBus.StreamInfo info = new StorageBus.StreamInfo("app.orders", 3, 7);
    assertThat(StorageBus.StreamInfo.fromJson(info.toJson())).isEqualTo(info);

    // a page travels as the bytes storage encoded; a reply in the other form reads the same either way
    JsonObject json = new JsonObject().put("stream", "app.orders").put("events", new JsonArray().add(new JsonObject().put("seq", 1)))
      .put("next", 2).put("firstSeq", 1).put("lastSeq", 1);
    StorageBus.Page page = new StorageBus.Page(json.toBuffer());
    Object carried = StorageBus.READ.writeReply().apply(page);
    assertThat(carried).as("the page's bytes as they are").isSameAs(page.json());
    assertThat(StorageBus.READ.readReply().apply(carried)).isEqualTo(page);
    assertThat(StorageBus.READ.readReply().apply(json).toJson()).as("a page that came as a JSON object").isEqualTo(json);
    assertThat(StorageBus.META.readReply().apply(info.toJson().toBuffer())).as("a JSON reply that came encoded").isEqualTo(info);
    assertThatThrownBy(() -> StorageBus.READ.readReply().apply(42)).isInstanceOf(ReplyException.class)
      .satisfies(e -> assertThat(((ReplyException) e).failureCode()).isEqualTo(Failures.INTERNAL));
  }

  @Test
  void chatConversationsRoundTripAndAreChecked() {
    ChatBus.Post post = new ChatBus.Post("den", new JsonObject().put("type", "TEXT_MESSAGE").put("data", new JsonObject().put("text", "hi")), "ada");
    assertThat(ChatBus.Post.fromJson(post.toJson())).isEqualTo(post);
    refused(() -> ChatBus.Post.fromJson(post.toJson().put("room", "a b")), "'room'");
    refused(() -> ChatBus.Post.fromJson(post.toJson().put("event", new JsonObject().put("type", "lower"))), "event");
    ChatBus.Subscription opened = ChatBus.Subscription.opened("g1", "c1", "ada", "den");
    ChatBus.Subscription closedAll = ChatBus.Subscription.closed("g1", "c1", null);
    assertThat(ChatBus.Subscription.fromJson(opened.toJson())).isEqualTo(opened);
    assertThat(ChatBus.Subscription.fromJson(closedAll.toJson())).as("a close without a room: every room").isEqualTo(closedAll);
    refused(() -> ChatBus.Subscription.fromJson(opened.toJson().put("op", "reopen")), "'op' must be");
    refused(() -> ChatBus.Subscription.fromJson(opened.toJson().putNull("user")), "'user' must be");
    ChatBus.Snapshot snapshot = new ChatBus.Snapshot("g1", java.util.List.of(new ChatBus.Held("c1", "ada", "den")));
    assertThat(ChatBus.Snapshot.fromJson(snapshot.toJson())).isEqualTo(snapshot);
    ChatBus.MemberChange joined = new ChatBus.MemberChange("den", "ada", true);
    assertThat(ChatBus.MemberChange.fromJson(joined.toJson())).isEqualTo(joined);
    refused(() -> ChatBus.MemberChange.fromJson(joined.toJson().put("member", "yes")), "a member change names");
    ChatBus.TypingState typing = new ChatBus.TypingState("ada", "den", true);
    assertThat(ChatBus.TypingState.fromJson(typing.toJson())).isEqualTo(typing);
    assertThat(ChatBus.GatewayBeat.fromJson(new ChatBus.GatewayBeat("g1", 3).toJson())).isEqualTo(new ChatBus.GatewayBeat("g1", 3));
  }
}
