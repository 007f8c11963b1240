package io.hubbub.pages;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import io.hubbub.support.Chromium;
import io.hubbub.support.NodeExtension;
import io.hubbub.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * hubbub.js, unit by unit, in a real Chromium against a real node: each test runs a script in the
 * page that imports the module, and checks what it returns.
 */
class HubbubJsTest {

  /** In the page: the module, a hub for the token, and a way to wait for a condition. */
  private static final String PRELUDE = """
    const { Hubbub, HubbubError } = await import('/js/hubbub.js');
    const until = (condition, ms = 15000) => new Promise((resolve, reject) => {
      const deadline = Date.now() + ms;
      const check = () => condition() ? resolve() : Date.now() > deadline ? reject(new Error('timed out')) : setTimeout(check, 10);
      check();
    });
    const post = (stream, events) => fetch('/api/streams/' + stream + '/events', { method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify(events) })
      .then(r => r.json());
    const states = [];
    const hub = new Hubbub({ token, onState: s => states.push(s), reconnectDelayMinMs: 200, reconnectDelayMaxMs: 1000 });
    await hub.connect();
    """;

  private static Chromium chromium;
  @RegisterExtension
  // presence names up to 8 online: the crowd test crosses that size both ways
  final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("chat")
    .put("presence", new JsonObject().put("maxListed", 8)));
  private TestNode node;
  private BrowserContext context;
  private Page page;
  private String token;

  @BeforeAll
  static void launch() {
    chromium = Chromium.launch();
  }

  @AfterAll
  static void quit() {
    if (chromium != null) {
      chromium.close();
    }
  }

  @BeforeEach
  void start() throws Exception {
    token = await(node.user("js"));
    context = chromium.context(1024, 768);
    page = context.newPage();
    page.navigate("http://127.0.0.1:" + node.port + "/");
  }

  @AfterEach
  void stop() throws Exception {
    context.close();
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.await(60, TimeUnit.SECONDS); // Vert.x's own blocking wait: toCompletionStage().get() was seen to hang here
  }

  /** Runs {@code body} (after the prelude) as an async function in the page and returns its result. */
  @SuppressWarnings("unchecked")
  private Map<String, Object> run(String body) {
    return (Map<String, Object>) page.evaluate("async token => {\n" + PRELUDE + body + "\n}", token);
  }

  private static List<Integer> ints(Object list) {
    List<Integer> out = new ArrayList<>();
    ((List<?>) list).forEach(n -> out.add(((Number) n).intValue()));
    return out;
  }

  private static List<Integer> range(int from, int to) {
    return IntStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  void subscribeIsGaplessAndExactlyOnceAcrossDroppedConnections() throws Exception {
    JsonArray history = new JsonArray();
    for (int i = 1; i <= 10; i++) {
      history.add(new JsonObject().put("type", "OLD").put("data", new JsonObject().put("n", i)));
    }
    assertEquals(201, node.call(HttpMethod.POST, "/api/streams/app.gapless/events", token, history).status());

    Map<String, Object> result = run("""
      const seen = [];
      const sub = hub.subscribe('app.gapless', { afterSeq: 3 }, e => seen.push(e.seq));
      await until(() => seen.length === 7);                        // catch-up: 4..10
      for (let i = 0; i < 5; i++) await hub.publish('app.gapless', 'LIVE', { i });
      await until(() => seen.length === 12);                       // live: 11..15
      hub.eb.sockJSConn.close();                                   // the network drops
      await until(() => hub.state === 'reconnecting');
      await post('app.gapless', [1, 2, 3, 4, 5].map(i => ({ type: 'MISSED', data: { i } })));
      const offline = hub.publish('app.gapless', 'QUEUED', { i: 0 }); // sent once the connection is back
      await until(() => hub.state === 'open');
      await offline;
      await until(() => seen.length === 18);                       // 16..20 read back, 21 the queued publish
      await post('app.gapless', [1, 2].map(i => ({ type: 'AFTER', data: { i } })));
      await until(() => seen.length === 20);                       // 22, 23 live again
      await new Promise(r => setTimeout(r, 1500));                 // let any stray repeat arrive
      return { seen, states, last: sub.lastSeq() };
      """);
    assertEquals(range(4, 23), ints(result.get("seen")), "every event after seq 3 exactly once, in order");
    assertEquals(List.of("connecting", "open", "reconnecting", "open"), result.get("states"));
  }

  @Test
  void historyThatIsGoneIsReportedAsTruncatedNotTreatedAsAGap() throws Exception {
    for (int batch = 0; batch < 3; batch++) {
      JsonArray events = new JsonArray();
      IntStream.range(0, 10).forEach(i -> events.add(new JsonObject().put("type", "OLD").put("data", new JsonObject())));
      assertEquals(201, node.call(HttpMethod.POST, "/api/streams/app.trimmed/events", token, events).status());
    }
    String admin = await(node.adminToken());
    assertEquals(200, node.call(HttpMethod.POST, "/api/streams/app.trimmed/truncate", admin, new JsonObject().put("before", 21)).status());

    Map<String, Object> result = run("""
      const seen = [], truncated = [], lateSeen = [], lateTruncated = [];
      hub.subscribe('app.trimmed', { afterSeq: 5, onTruncated: first => truncated.push(first) }, e => seen.push(e.seq));
      hub.subscribe('app.trimmed', { afterSeq: 25, onTruncated: first => lateTruncated.push(first) }, e => lateSeen.push(e.seq));
      await until(() => seen.length === 10 && lateSeen.length === 5);
      await hub.publish('app.trimmed', 'LIVE', {});
      await until(() => seen.length === 11 && lateSeen.length === 6);
      return { seen, truncated, lateSeen, lateTruncated };
      """);
    assertEquals(range(21, 31), ints(result.get("seen")), "from where the stream now starts, then live");
    assertEquals(List.of(21), ints(result.get("truncated")), "told once, with where the history starts");
    assertEquals(range(26, 31), ints(result.get("lateSeen")));
    assertEquals(List.of(), ints(result.get("lateTruncated")), "a subscription that needed nothing that is gone hears nothing");
  }

  @Test
  void aPublishWhoseReplyIsLostIsRetriedWithTheSameIdAndStoredOnce() throws Exception {
    Map<String, Object> result = run("""
      const sending = hub.publish('app.once', 'ONCE', { v: 1 }, { id: 'only-once' });
      hub.eb.sockJSConn.close();                                   // the frame is out, its reply will not come back
      const ack = await sending;
      const again = await hub.publish('app.once', 'ONCE', { v: 1 }, { id: 'only-once' });
      const auto = await hub.publish('app.once', 'AUTO', { v: 2 });
      const page = await hub.read('app.once');
      return { seq: ack.seq, againDuplicate: again.duplicate, againSeq: again.seq, autoId: auto.id,
               stored: page.events.map(e => e.id), states };
      """);
    assertEquals(1, ((Number) result.get("seq")).intValue());
    assertEquals(true, result.get("againDuplicate"));
    assertEquals(1, ((Number) result.get("againSeq")).intValue());
    List<?> stored = (List<?>) result.get("stored");
    assertEquals(2, stored.size(), "stored once, whatever the connection did: " + stored);
    assertEquals("only-once", stored.get(0));
    assertTrue(((String) result.get("autoId")).length() >= 16, "publish() makes an idempotency id");
  }

  @Test
  void refusalsComeBackWithTheProtocolCodes() {
    Map<String, Object> result = run("""
      const code = p => p.then(() => 0, e => e instanceof HubbubError ? e.code : String(e));
      const empty = await code(hub.request('chat.send', { room: 'nowhere', text: '' }));
      const noRoom = await code(hub.request('chat.send', { room: 'nowhere', text: 'hi' }));
      const badStream = await code(hub.publish('nonamespace.x', 'T', {}));
      const refused = [];
      hub.subscribe('auth.logins', { onError: e => refused.push(e.code) }, () => refused.push('event'));
      await until(() => refused.length > 0);
      const anonymous = new Hubbub({});
      await anonymous.connect();
      const anonymousRead = await code(anonymous.read('app.x'));
      anonymous.close();
      const closed = await code(anonymous.read('app.x'));
      return { empty, noRoom, badStream, refused, anonymousRead, closed };
      """);
    assertEquals(400, ((Number) result.get("empty")).intValue());
    assertEquals(404, ((Number) result.get("noRoom")).intValue());
    assertEquals(404, ((Number) result.get("badStream")).intValue());
    assertEquals(List.of(403), ints(result.get("refused")));
    assertEquals(401, ((Number) result.get("anonymousRead")).intValue());
    assertEquals(503, ((Number) result.get("closed")).intValue());
  }

  @Test
  void manySubscriptionsCatchingUpAtOnceGetEverythingThoughReadsAreBounded() {
    // 12 streams of 250 events, followed at once: 12 catch-ups of 3 pages each against a bound of 4 reads in flight
    Map<String, Object> result = run("""
      const streams = [...Array(12).keys()].map(i => 'app.many-' + i);
      for (const stream of streams) {
        await post(stream, [...Array(250).keys()].map(n => ({ type: 'N', data: { n } })));
      }
      const seen = Object.fromEntries(streams.map(s => [s, []]));
      const errors = [];
      streams.forEach(stream => hub.subscribe(stream, { onError: e => errors.push(e.code) }, e => seen[stream].push(e.seq)));
      await until(() => streams.every(s => seen[s].length >= 250), 30000);
      const inOrder = streams.every(s => seen[s].every((seq, i) => seq === i + 1) && seen[s].length === 250);
      return { inOrder, errors };
      """);
    assertEquals(true, result.get("inOrder"), "every stream's 250 events once, in order");
    assertEquals(List.of(), result.get("errors"), "no refusal reached the page");
  }

  @Test
  void aLiveEventBeyondAGapIsWaitedForWithoutABusyLoopOfReads() {
    Map<String, Object> result = run("""
      await post('app.gap', [1, 2, 3].map(n => ({ type: 'N', data: { n } })));
      const seen = [];
      const sub = hub.subscribe('app.gap', {}, e => seen.push(e.seq));
      await until(() => seen.length === 3);
      let reads = 0;
      const read = hub.read.bind(hub);
      hub.read = (...args) => { reads++; return read(...args); };
      sub.live({ seq: 6, type: 'N', data: { n: 6 } });             // ahead of a gap no read fills yet
      await new Promise(r => setTimeout(r, 2000));
      const readsWhileWaiting = reads;
      await post('app.gap', [4, 5, 6].map(n => ({ type: 'N', data: { n } })));
      await until(() => seen.length === 6);
      return { readsWhileWaiting, seen };
      """);
    int reads = ((Number) result.get("readsWhileWaiting")).intValue();
    assertTrue(reads >= 2 && reads <= 12, "reads in 2 s while the gap stays open, backing off: " + reads);
    assertEquals(range(1, 6), ints(result.get("seen")), "the gap filled: every event once, in order");
  }

  @Test
  void presenceListsTheUserAgainAfterEveryReconnect() {
    Map<String, Object> result = run("""
      await hub.request('chat.join', { room: 'lobby' });
      const pictures = [];
      const tracker = hub.presence('lobby', p => pictures.push(p));
      const online = () => pictures.length > 0 && pictures[pictures.length - 1].online.includes('js')
        && pictures[pictures.length - 1].count === 1 && tracker.version >= 0;
      await until(online);
      const missed = [];
      for (let i = 0; i < 6; i++) {
        hub.eb.sockJSConn.close();                                  // the network drops
        await until(() => hub.state === 'reconnecting');
        pictures.length = 0;
        await until(() => hub.state === 'open');
        try {
          await until(online, 5000);                                // a picture that lists this user again
        } catch (e) {
          missed.push(i);
        }
      }
      return { missed };
      """);
    assertEquals(List.of(), result.get("missed"), "reconnects after which the user was not listed online");
  }

  /**
   * The picture hubbub.js keeps from snapshots and deltas is the true one, through random joins, leaves, typing,
   * the page's own connection dropping, and rooms that cross the listed size both ways: checked at quiet
   * moments against the model (online) and the server's snapshot (typing).
   */
  @Test
  void presenceInThePageIsTheTruePictureThroughRandomJoinsLeavesDropsAndTyping() throws Exception {
    List<String> users = IntStream.range(0, 12).mapToObj(i -> "p" + i).toList();
    Map<String, String> tokens = new java.util.HashMap<>();
    for (String user : users) {
      tokens.put(user, await(node.user(user)));
    }
    io.hubbub.client.BridgeClient watcher = await(node.bridge(tokens.get("p0")));
    await(watcher.request("chat.join", new JsonObject().put("room", "crowd")));
    run("""
      await hub.request('chat.join', { room: 'crowd' });
      window.hub = hub;
      window.pictures = [];
      window.tracker = hub.presence('crowd', p => { window.picture = p; window.pictures.push(p.count); });
      return {};
      """);
    java.util.Random random = new java.util.Random(7);
    Map<io.hubbub.client.BridgeClient, String> open = new java.util.LinkedHashMap<>();
    for (int round = 0; round < 6; round++) {
      for (int step = 0; step < 25; step++) {
        int op = random.nextInt(10);
        if (op < 5) {
          String user = users.get(random.nextInt(users.size()));
          io.hubbub.client.BridgeClient socket = await(node.bridge(tokens.get(user)));
          await(socket.request("chat.join", new JsonObject().put("room", "crowd")));
          socket.register("chat.presence.crowd", frame -> { });
          open.put(socket, user);
        } else if (op < 8 && !open.isEmpty()) {
          io.hubbub.client.BridgeClient socket = new ArrayList<>(open.keySet()).get(random.nextInt(open.size()));
          open.remove(socket);
          await(socket.close());
        } else if (op == 8 && !open.isEmpty()) {
          new ArrayList<>(open.keySet()).get(random.nextInt(open.size())).send("chat.typing", new JsonObject().put("room", "crowd"));
        } else {
          // the page's network drops (when it is up); it reconnects by itself
          page.evaluate("() => window.hub.state === 'open' && window.hub.eb.sockJSConn && window.hub.eb.sockJSConn.close()");
        }
        Thread.sleep(random.nextInt(30));
      }
      java.util.Set<String> truth = new java.util.TreeSet<>(open.values());
      truth.add("js");
      long deadline = System.currentTimeMillis() + 20_000;
      String seen = "";
      while (true) {
        @SuppressWarnings("unchecked")
        Map<String, Object> picture = (Map<String, Object>) page.evaluate("() => window.picture || null");
        JsonObject server = await(watcher.request("chat.presence", new JsonObject().put("room", "crowd")));
        seen = "round " + round + ": page " + picture + ", server " + server + ", truth " + truth;
        if (picture != null && ((Number) picture.get("count")).intValue() == truth.size()
          && (truth.size() > 8 || new java.util.TreeSet<>((List<?>) picture.get("online")).equals(truth))
          && (truth.size() <= 8 || Boolean.FALSE.equals(picture.get("listed")))
          && server.getInteger("count") == truth.size()
          && new java.util.TreeSet<>((List<?>) picture.get("typing")).equals(new java.util.TreeSet<>(server.getJsonArray("typing").getList()))) {
          break;
        }
        assertTrue(System.currentTimeMillis() < deadline, "the page's presence never matched: " + seen);
        Thread.sleep(100);
      }
    }
    List<?> counts = (List<?>) page.evaluate("() => window.pictures");
    assertTrue(counts.stream().anyMatch(c -> ((Number) c).intValue() > 8) && counts.stream().anyMatch(c -> ((Number) c).intValue() <= 8),
      "the room crossed the listed size: " + counts);
    watcher.close();
  }
}
