package io.hubbub.storage;

import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.storage.FakeEventLog.Call;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Group commit's logic against an in-process store that fails and delays on cue: no Vert.x, no store. */
class GroupCommitTest {

  private final FakeEventLog store = new FakeEventLog();
  private final List<JsonObject> announced = new ArrayList<>();
  private final Set<String> fenced = new HashSet<>();
  private final Set<String> lost = new HashSet<>(); // streams this instance no longer owns
  private final GroupCommit commits = new GroupCommit(store, new SeqCache(100), 10, 1, announced::addAll,
    stream -> !lost.contains(stream), fenced::addAll, new SimpleMeterRegistry());
  /** Two writes in flight at most (storage.maxWritesInFlight, 4 by default); a second needs 2 events or more. */
  private final GroupCommit twoAtOnce = new GroupCommit(store, new SeqCache(100), 10, 2, announced::addAll,
    stream -> !lost.contains(stream), fenced::addAll, new SimpleMeterRegistry());

  private static JsonObject event(String stream, String id) {
    JsonObject event = new JsonObject().put("stream", stream).put("type", "T").put("data", new JsonObject()).put("by", "u");
    return id == null ? event : event.put("id", id);
  }

  private static JsonArray of(JsonObject... events) {
    return new JsonArray(List.of((Object[]) events));
  }

  /** A batch submitted; its acks as JSON, as a publisher reads them. */
  private static Future<JsonArray> submit(GroupCommit commits, JsonArray events) {
    return commits.submit(events).map(acks -> new StorageBus.Appended(acks).toJsonArray());
  }

  private static long seq(Future<JsonArray> acks, int i) {
    assertTrue(acks.succeeded(), () -> "failed: " + acks.cause());
    return acks.result().getJsonObject(i).getLong("seq");
  }

  @Test
  void seqsFollowEachStreamGaplessInSubmitOrder() {
    Future<JsonArray> first = submit(commits, of(event("a", null), event("b", null), event("a", null)));
    Future<JsonArray> second = submit(commits, of(event("a", null)));
    assertEquals(List.of(1L, 1L, 2L), List.of(seq(first, 0), seq(first, 1), seq(first, 2)));
    assertEquals(3L, seq(second, 0));
    assertEquals(List.of(1L, 2L, 3L), store.events("a").stream().map(e -> e.getLong("seq")).toList());
    assertEquals(4, announced.size(), "each stored event is announced once, after it is durable");
  }

  @Test
  void eachAcknowledgedRequestIsTimedFromItsArrivalAndEachWriteUntilDurable() throws InterruptedException {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    GroupCommit timed = new GroupCommit(store, new SeqCache(100), 10, 1, announced::addAll, stream -> true,
      fenced::addAll, registry);
    store.holdNext(Call.INSERT);
    Future<JsonArray> first = submit(timed, of(event("s", null)));
    Future<JsonArray> waited = submit(timed, of(event("s", null), event("t", null)));
    Thread.sleep(20); // the first write takes 20 ms at least, and the second request waits for it
    store.release();
    assertEquals(2L, seq(waited, 0));
    assertTrue(first.succeeded());
    store.failNext(Call.INSERT);
    assertTrue(submit(timed, of(event("s", null))).failed());
    Timer latency = registry.get("hubbub.append.latency").timer();
    assertEquals(2, latency.count(), "the two acknowledged requests, not the refused one");
    assertTrue(latency.totalTime(TimeUnit.MILLISECONDS) >= 2 * 20,
      "each from its arrival: the second request's wait for the first write counts, not only its own write");
    assertEquals(3, registry.get("hubbub.append.write").timer().count(), "every write, the failed one too");
    // histogram buckets, for percentiles across instances and nodes (Prometheus's histogram_quantile)
    CountAtBucket[] buckets = latency.takeSnapshot().histogramCounts();
    assertEquals(GroupCommit.LATENCY_BUCKETS.length, buckets.length);
    assertEquals(2, buckets[buckets.length - 1].count(), "both within the largest bucket (1 s)");
  }

  @Test
  void whatArrivesDuringAWriteGoesOutAsTheNextSingleWrite() {
    store.holdNext(Call.INSERT);
    Future<JsonArray> first = submit(commits, of(event("s", null)));
    List<Future<JsonArray>> waiting = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      waiting.add(submit(commits, of(event("s", null), event("t", null))));
    }
    assertFalse(first.isComplete(), "not acknowledged before it is durable");
    assertTrue(announced.isEmpty(), "nothing announced before it is durable");
    store.release();
    assertEquals(1L, seq(first, 0));
    for (int i = 0; i < 4; i++) {
      assertEquals(2L + i, seq(waiting.get(i), 0));
      assertEquals(1L + i, seq(waiting.get(i), 1));
    }
    assertEquals(List.of("insert 1", "insert 8"), store.calls.stream().filter(c -> c.startsWith("insert")).toList());
  }

  @Test
  void aBatchStopsAtMaxBatchEvents() {
    store.holdNext(Call.INSERT);
    submit(commits, of(event("s", null)));
    for (int i = 0; i < 3; i++) {
      submit(commits, of(event("s", null), event("s", null), event("s", null), event("s", null)));
    }
    store.release();
    assertEquals(List.of("insert 1", "insert 8", "insert 4"), store.calls.stream().filter(c -> c.startsWith("insert")).toList());
    assertEquals(13, store.events("s").size());
  }

  @Test
  void aRepeatedIdAnswersTheStoredEventAndWritesNothing() {
    Future<JsonArray> original = submit(commits, of(event("s", "e-1")));
    Future<JsonArray> again = submit(commits, of(event("s", "e-1"), event("s", "e-2"), event("s", "e-2")));
    assertEquals(1L, seq(again, 0));
    assertTrue(again.result().getJsonObject(0).getBoolean("duplicate"));
    assertEquals(original.result().getJsonObject(0).getString("ts"), again.result().getJsonObject(0).getString("ts"));
    assertEquals(2L, seq(again, 1));
    assertEquals(2L, seq(again, 2), "a repeat inside one batch is the same event");
    assertTrue(again.result().getJsonObject(2).getBoolean("duplicate"));
    assertEquals(again.result().getJsonObject(1).copy().put("duplicate", true), again.result().getJsonObject(2),
      "the same ack, marked a duplicate");
    assertEquals(2, store.events("s").size());

    Future<JsonArray> twice = submit(commits, of(event("s", "e-1"), event("s", "e-1"), event("s", "e-3")));
    assertEquals(again.result().getJsonObject(0), twice.result().getJsonObject(0), "a stored id, found");
    assertEquals(again.result().getJsonObject(0), twice.result().getJsonObject(1), "and found again in the same request");
    assertEquals(3L, seq(twice, 2));
  }

  @Test
  void aRetryFindsAnEventAnotherOwnerStoredAndAnnouncesIt() {
    store.storedElsewhere(event("s", "e-1").put("seq", 1L).put("ts", "2026-01-01T00:00:00.000Z"));
    Future<JsonArray> retry = submit(commits, of(event("s", "e-1")));
    assertEquals(1L, seq(retry, 0));
    assertEquals(1, announced.size(), "its writer may have died before announcing it");
    submit(commits, of(event("s", "e-2")));
    submit(commits, of(event("s", "e-2")));
    assertEquals(2, announced.size(), "what this instance wrote and announced itself is not announced again");
  }

  @Test
  void expectedSeqIsCheckedPerRequestAgainstWhatComesBeforeIt() {
    submit(commits, of(event("s", null), event("s", null)));
    store.holdNext(Call.INSERT);
    submit(commits, of(event("x", null)));
    Future<JsonArray> right = submit(commits, of(event("s", null).put("expectedSeq", 2L)));
    Future<JsonArray> stale = submit(commits, of(event("t", null), event("s", null).put("expectedSeq", 2L)));
    Future<JsonArray> next = submit(commits, of(event("s", null).put("expectedSeq", 3L)));
    store.release();
    assertEquals(3L, seq(right, 0));
    assertEquals(Failures.CONFLICT, Failures.code(stale.cause()));
    assertTrue(stale.cause().getMessage().contains("at seq 3"), stale.cause().getMessage());
    assertEquals(4L, seq(next, 0));
    assertTrue(store.events("t").isEmpty(), "a refused request writes none of its events");
  }

  @Test
  void aFailedWriteFailsItsCallersAndTheNextWriteReadsSeqsAgain() {
    submit(commits, of(event("s", null)));
    store.failNext(Call.INSERT);
    Future<JsonArray> failed = submit(commits, of(event("s", "e-2")));
    assertEquals(Failures.UNAVAILABLE, Failures.code(failed.cause()));
    store.calls.clear();
    Future<JsonArray> retried = submit(commits, of(event("s", "e-2")));
    assertEquals(2L, seq(retried, 0));
    assertTrue(store.calls.contains("lastSeq s"), "after a failure the stream's seq is read again, not trusted");
    assertEquals(List.of(1L, 2L), store.events("s").stream().map(e -> e.getLong("seq")).toList());
  }

  @Test
  void aFailedLookupFailsTheBatchAndTheNextGoesOn() {
    store.failNext(Call.LAST_SEQ);
    Future<JsonArray> failed = submit(commits, of(event("s", null)));
    assertEquals(Failures.UNAVAILABLE, Failures.code(failed.cause()));
    store.failNext(Call.WITH_IDS);
    assertEquals(Failures.UNAVAILABLE, Failures.code(submit(commits, of(event("s", "e").put("expectedSeq", 0L))).cause()));
    assertEquals(1L, seq(submit(commits, of(event("s", "e"))), 0));
  }

  @Test
  void idsAreLeftToTheStoresUniqueIndexUntilOneIsTaken() {
    submit(commits, of(event("s", "e-1"), event("t", "e-2")));
    submit(commits, of(event("s", "e-3")));
    assertTrue(store.calls.stream().noneMatch(c -> c.startsWith("withIds")), store.calls.toString());
    store.calls.clear();
    Future<JsonArray> again = submit(commits, of(event("s", "e-3")));
    assertEquals(2L, seq(again, 0));
    assertEquals(List.of("insert 1", "lastSeq s", "withIds s", "atSeqs s"), store.calls, "looked up once the index refused it");
  }

  @Test
  void onlyTheIdsPublishersGaveAreIndexedAndAServerMadeOneIsFoundByItsSeqAfterACollision() {
    submit(commits, of(event("s", null), event("s", "g-1"), event("t", "taken")));
    assertEquals(Set.of("s|g-1", "t|taken"), store.indexed, "a server-made id is unique by construction");
    // a write that stores s's bucket and is refused at t's (its id taken): s's event, its id made here, is found at
    // the seq the attempt gave it, answered as new and announced once; t's is answered as the one stored before
    store.calls.clear();
    announced.clear();
    Future<JsonArray> mixed = submit(commits, of(event("s", null), event("t", "taken")));
    assertEquals(3L, seq(mixed, 0));
    assertFalse(mixed.result().getJsonObject(0).containsKey("duplicate"), "stored by this write: new to its publisher");
    assertTrue(mixed.result().getJsonObject(1).getBoolean("duplicate"));
    assertEquals(1L, seq(mixed, 1));
    assertEquals(3, store.events("s").size(), "written once");
    assertEquals(List.of("s 3"), announced.stream().map(e -> e.getString("stream") + " " + e.getLong("seq")).toList());
    assertTrue(store.calls.contains("atSeqs s,t") || store.calls.contains("atSeqs t,s"), store.calls.toString());
    assertTrue(fenced.isEmpty());
  }

  @Test
  void anIdTheServerMadeGivenBackIsFoundAtTheSeqItCarriesThoughNotIndexed() {
    Future<JsonArray> first = submit(commits, of(event("s", null), event("s", null)));
    String made = first.result().getJsonObject(1).getString("id");
    assertEquals(2L, MadeIds.seqOf(made), "it carries its seq");
    assertEquals(made, store.events("s").get(1).getString("id"));
    assertTrue(store.indexed.isEmpty());
    announced.clear();

    String sameSeq = MadeIds.of(2); // another id carrying seq 2, asked for in the same request
    Future<JsonArray> again = submit(commits, of(event("s", sameSeq), event("s", made)));
    assertEquals(2L, seq(again, 1), "the stream holds that id: nothing new");
    assertTrue(again.result().getJsonObject(1).getBoolean("duplicate"));
    assertEquals(3L, seq(again, 0), "the other is a publisher's own, stored");
    assertEquals(3, store.events("s").size());
    assertEquals(List.of(3L), announced.stream().map(e -> e.getLong("seq")).toList(), "seq 2 was announced here before");

    // an id reading as one made here that the stream does not hold at its seq is a publisher's own: stored, indexed
    String other = MadeIds.of(1);
    Future<JsonArray> own = submit(commits, of(event("s", other), event("s", other)));
    assertEquals(4L, seq(own, 0));
    assertTrue(own.result().getJsonObject(1).getBoolean("duplicate"), "and found again in the same request");
    assertEquals(Set.of("s|" + sameSeq, "s|" + other), store.indexed);
    Future<JsonArray> retried = submit(commits, of(event("s", other)));
    assertEquals(4L, seq(retried, 0));
    assertTrue(retried.result().getJsonObject(0).getBoolean("duplicate"));
    assertEquals(4, store.events("s").size());
  }

  @Test
  void anIdMadeForAnEventACollidedWriteDidNotStoreIsMadeAgainForTheSeqItGets() {
    submit(commits, of(event("t", "taken")));
    // a's bucket is written, t's refused (its id is taken), u's never reached: u's event gets its seq again, and an
    // id carrying it
    Future<JsonArray> mixed = submit(commits, of(event("a", null), event("t", "taken"), event("u", null)));
    assertTrue(mixed.succeeded(), () -> "failed: " + mixed.cause());
    for (String stream : List.of("a", "u")) {
      JsonObject stored = store.events(stream).get(0);
      assertEquals(1L, MadeIds.seqOf(stored.getString("id")), stream);
      assertEquals(1, store.events(stream).size(), stream);
    }
    assertEquals(store.events("a").get(0).getString("id"), mixed.result().getJsonObject(0).getString("id"));
    assertEquals(store.events("u").get(0).getString("id"), mixed.result().getJsonObject(2).getString("id"));
    assertTrue(mixed.result().getJsonObject(1).getBoolean("duplicate"));
  }

  @Test
  void aFailedLookupOfTheSeqsACollidedWriteGaveFailsItsRequestsAsUnknown() {
    store.storedElsewhere(event("t", "taken").put("seq", 1L));
    store.failNext(Call.AT_SEQS);
    Future<JsonArray> mixed = submit(commits, of(event("s", null), event("t", "taken")));
    assertEquals(Failures.UNAVAILABLE, Failures.code(mixed.cause()), "what was written is not known: retry");
    assertEquals(2L, seq(submit(commits, of(event("s", null))), 0), "s's seq read again: the attempt stored its first");
    assertTrue(fenced.isEmpty());
  }

  @Test
  void aTakenIdPartWayKeepsWhatTheWriteStoredBeforeItAndAnswersThatAsNew() {
    submit(commits, of(event("b", "e-1")));
    store.holdNext(Call.INSERT);
    submit(commits, of(event("z", null)));
    Future<JsonArray> first = submit(commits, of(event("a", null), event("a", "a-2")));
    Future<JsonArray> retry = submit(commits, of(event("b", "e-1")));
    Future<JsonArray> last = submit(commits, of(event("c", "c-1")));
    announced.clear();
    store.release(); // z's write ends; the next stores a's bucket, is refused at b's (e-1 is taken) and never reaches c's
    assertEquals(List.of(1L, 2L), List.of(seq(first, 0), seq(first, 1)));
    assertFalse(first.result().getJsonObject(0).containsKey("duplicate"), "stored by this write: new to its publisher");
    assertFalse(first.result().getJsonObject(1).containsKey("duplicate"));
    assertEquals(2, store.events("a").size(), "written once, by the first attempt");
    assertEquals(1L, seq(retry, 0));
    assertTrue(retry.result().getJsonObject(0).getBoolean("duplicate"));
    assertEquals(1L, seq(last, 0));
    assertEquals(List.of("z 1", "a 1", "a 2", "c 1"), announced.stream().map(e -> e.getString("stream") + " " + e.getLong("seq")).toList(),
      "what the first attempt stored is announced once, e-1 not again");
    assertEquals(3L, seq(submit(commits, of(event("a", null))), 0));
    assertTrue(fenced.isEmpty());
  }

  @Test
  void aFailedLookupAfterATakenIdLeavesNoSeqCached() {
    submit(commits, of(event("b", "e-1")));
    store.holdNext(Call.INSERT);
    submit(commits, of(event("z", null)));
    Future<JsonArray> first = submit(commits, of(event("a", "a-1")));
    Future<JsonArray> retry = submit(commits, of(event("b", "e-1")));
    store.failNext(Call.WITH_IDS);
    store.release();
    assertEquals(Failures.UNAVAILABLE, Failures.code(first.cause()), "what was written is not known: retry with the same id");
    assertEquals(Failures.UNAVAILABLE, Failures.code(retry.cause()));
    Future<JsonArray> again = submit(commits, of(event("a", "a-1")));
    assertEquals(1L, seq(again, 0), "the retry finds it stored");
    assertTrue(again.result().getJsonObject(0).getBoolean("duplicate"), "stored before its publisher heard so");
    assertTrue(announced.stream().anyMatch(e -> e.getString("stream").equals("a")), "and announced, which it was not");
    assertEquals(2L, seq(submit(commits, of(event("a", null))), 0), "a's seq was read again, not taken from before the write");
    assertTrue(fenced.isEmpty(), "no other writer: nothing fenced");
  }

  @Test
  void aRetryCarryingExpectedSeqAnswersAsADuplicate() {
    assertEquals(1L, seq(submit(commits, of(event("s", "e-1").put("expectedSeq", 0L))), 0));
    Future<JsonArray> retry = submit(commits, of(event("s", "e-1").put("expectedSeq", 0L)));
    assertEquals(1L, seq(retry, 0));
    assertTrue(retry.result().getJsonObject(0).getBoolean("duplicate"));
    Future<JsonArray> stale = submit(commits, of(event("s", "e-2").put("expectedSeq", 0L)));
    assertEquals(Failures.CONFLICT, Failures.code(stale.cause()));
  }

  @Test
  void anExceptionWhileFormingAWriteFailsItsCallersAtOnce() {
    store.next(Call.LAST_SEQ, work -> Future.succeededFuture(null)); // a store answer the write cannot use
    Future<JsonArray> broken = submit(commits, of(event("s", null)));
    assertTrue(broken.failed(), "the caller is answered now, not after the bus timeout");
    assertEquals(Failures.UNAVAILABLE, Failures.code(broken.cause()));
    assertEquals(1L, seq(submit(commits, of(event("s", null))), 0), "and the next batch is written");
  }

  @Test
  void aCollisionFencesTheStreamsAndAsksForARetry() {
    submit(commits, of(event("s", null)));
    store.storedElsewhere(event("s", "other").put("seq", 2L)); // another writer took seq 2
    Future<JsonArray> collided = submit(commits, of(event("s", "mine")));
    assertEquals(Failures.UNAVAILABLE, Failures.code(collided.cause()));
    assertEquals(Set.of("s"), fenced);
    assertEquals(3L, seq(submit(commits, of(event("s", "mine"))), 0));
  }

  @Test
  void aCollisionFencesOnlyTheStreamsAnotherWriterTook() {
    submit(commits, of(event("s", null), event("t", null)));
    store.storedElsewhere(event("t", "other").put("seq", 2L));
    Future<JsonArray> collided = submit(commits, of(event("s", "mine"), event("t", "mine too")));
    assertEquals(Failures.UNAVAILABLE, Failures.code(collided.cause()));
    assertEquals(Set.of("t"), fenced, "s was written by this write alone");
  }

  @Test
  void aStreamThisInstanceNoLongerOwnsIsRefusedWithoutAStoreCall() {
    lost.add("gone");
    Future<JsonArray> refused = submit(commits, of(event("ok", null), event("gone", null)));
    assertEquals(Failures.UNAVAILABLE, Failures.code(refused.cause()));
    assertTrue(store.calls.isEmpty());
    assertTrue(commits.whenIdle().succeeded());
  }

  private List<String> inserts() {
    return store.calls.stream().filter(c -> c.startsWith("insert")).toList();
  }

  @Test
  void largeWritesOfOtherStreamsGoOutWhileOneIsInFlightUpToTheLimit() {
    store.holdNext(Call.INSERT).holdNext(Call.INSERT).holdNext(Call.INSERT);
    Future<JsonArray> a = submit(twoAtOnce, of(event("a", null)));
    Future<JsonArray> b = submit(twoAtOnce, of(event("b", null), event("b", null)));
    Future<JsonArray> c = submit(twoAtOnce, of(event("c", null), event("c", null)));
    assertEquals(List.of("insert 1", "insert 2"), inserts(), "c waits: two writes are in flight");
    store.release(1); // b's write ends first
    assertEquals(2L, seq(b, 1));
    assertFalse(a.isComplete(), "a is not acknowledged before its own write is durable");
    assertEquals(List.of("insert 1", "insert 2", "insert 2"), inserts(), "c goes out as soon as b's write is done");
    Future<JsonArray> d = submit(twoAtOnce, of(event("d", null)));
    assertEquals(3, inserts().size(), "d, under a quarter of maxBatchEvents, waits for the writes in flight");
    store.release(1);
    assertEquals(2L, seq(c, 1));
    assertEquals(3, inserts().size(), "d still waits: a's write is in flight");
    store.release();
    assertEquals(1L, seq(a, 0));
    assertEquals(1L, seq(d, 0));
    assertEquals(List.of("insert 1", "insert 2", "insert 2", "insert 1"), inserts());
    assertEquals(6, announced.size());
    assertTrue(twoAtOnce.whenIdle().succeeded());
  }

  @Test
  void aStreamsWritesGoOutOneAtATimeAndNothingOvertakesTheOneWaiting() {
    store.holdNext(Call.INSERT);
    Future<JsonArray> first = submit(twoAtOnce, of(event("s", null)));
    Future<JsonArray> second = submit(twoAtOnce, of(event("s", null)));
    Future<JsonArray> other = submit(twoAtOnce, of(event("t", null)));
    assertEquals(List.of("insert 1"), inserts(), "s is in flight; t waits behind the request for s, in order");
    Future<Void> written = twoAtOnce.whenWritten();
    assertFalse(written.isComplete());
    store.release();
    assertTrue(written.succeeded());
    assertEquals(1L, seq(first, 0));
    assertEquals(2L, seq(second, 0));
    assertEquals(1L, seq(other, 0));
    assertEquals(List.of("insert 1", "insert 2"), inserts(), "s and t went out together, after s's write");
    assertEquals(List.of(1L, 2L), store.events("s").stream().map(e -> e.getLong("seq")).toList());
  }

  @Test
  void aFailedWriteInFlightLeavesTheOtherAndItsStreamsReadAgain() {
    submit(twoAtOnce, of(event("a", null), event("b", null)));
    store.holdNext(Call.INSERT).failNext(Call.INSERT);
    Future<JsonArray> a = submit(twoAtOnce, of(event("a", null)));
    Future<JsonArray> b = submit(twoAtOnce, of(event("b", null), event("b", null)));
    assertEquals(Failures.UNAVAILABLE, Failures.code(b.cause()), "b's write failed at once");
    assertFalse(a.isComplete());
    Future<Void> idle = twoAtOnce.whenIdle();
    assertFalse(idle.isComplete(), "a's write is still in flight");
    store.release();
    assertEquals(2L, seq(a, 0));
    assertTrue(idle.succeeded());
    store.calls.clear();
    assertEquals(2L, seq(submit(twoAtOnce, of(event("b", null))), 0), "b's seq read again from the store: no gap");
    assertEquals("lastSeq b", store.calls.get(0));
  }
}
