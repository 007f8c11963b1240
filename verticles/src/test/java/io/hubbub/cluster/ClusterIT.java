package io.hubbub.cluster;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import io.hubbub.bus.ChatBus;
import io.hubbub.bus.SensorsBus;
import io.hubbub.bus.StorageBus;
import io.hubbub.client.BridgeClient;
import io.hubbub.client.PresenceView;
import io.hubbub.client.GaplessReader;
import io.hubbub.client.Response;
import io.hubbub.support.Chromium;
import io.hubbub.support.TcpProxy;
import io.hubbub.support.TestConf;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.hubbub.cluster.TestCluster.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster of real JVMs (the packaged jar), as operators run it: two storage nodes (storage, auth,
 * audit) and two edge nodes (gateway, chat), joined over Hazelcast, on one shared store. Nodes are
 * killed with SIGKILL while clients work, and restarted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterIT {

  private static final int EVENTS = 5_000;
  private static final int PUBLISHERS = 16;

  private TestCluster cluster;
  private String token;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = new TestCluster("storage-1", "storage-2", "edge-1", "edge-2");
    cluster.start("storage-1");
    cluster.start("edge-1");
    cluster.start("storage-2");
    cluster.start("edge-2");
    eventually("both storage nodes own their share", () -> cluster.owners("edge-1").size() == 2
      && cluster.owners("edge-1").values().stream().allMatch(n -> n == StorageBus.DEFAULT_PARTITIONS / 2), 60);
    token = login("carol", "edge-1");
  }

  /** A test that failed after killing a node leaves it dead: the next one starts from the whole cluster again. */
  @BeforeEach
  void everyNodeRuns() throws Exception {
    List<String> restarted = cluster.restartDead();
    if (!restarted.isEmpty()) {
      System.out.println("restarted after a test before left them dead: " + restarted);
      eventually("both storage nodes own their share", () -> cluster.owners("edge-1").size() == 2
        && cluster.owners("edge-1").values().stream().allMatch(n -> n == StorageBus.DEFAULT_PARTITIONS / 2), 60);
      token = cluster.logIn("edge-1", "carol"); // signed up by startCluster
    }
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aStorageNodeKilledMidPublishLosesNothingAndTheRestartedNodeTakesWorkAgain() throws Exception {
    String victim = "storage-1";
    String stream = cluster.streamOwnedBy(victim, "app.failover", "edge-2");
    BridgeClient bridge = BridgeClient.connect(cluster.vertx(), cluster.port("edge-2")).await(10, TimeUnit.SECONDS).token(token);
    GaplessReader subscriber = new GaplessReader(cluster.vertx(), bridge, stream);
    Thread.sleep(500); // the registration reaches the bridge before the first event

    Publishers publishers = new Publishers(cluster, token, stream, EVENTS, PUBLISHERS, List.of("edge-1", "edge-2"));
    eventually("a fifth of the events acknowledged", () -> publishers.acked.size() >= EVENTS / 5, 60);
    cluster.kill(victim);
    publishers.mark();
    publishers.await();
    System.out.println("cluster failover, a storage node SIGKILLed: " + publishers.summary());
    // requests in flight to the dead node are answered (503, retried with the same id) once the cluster drops
    // it, not after the 6 s send timeout: what this checks, not a timing target (bench/ measures those)
    assertTrue(publishers.longestWaitNs() < TimeUnit.SECONDS.toNanos(4), "a publish waited " + publishers.longestWaitNs() / 1e9 + " s");

    List<JsonObject> stored = cluster.readAll("edge-2", stream, token);
    publishers.assertStoredOnce(stored);
    assertTrue(publishers.retries.get() > 0, "the kill was felt: some publishes had to be retried");
    assertEquals(Set.of("storage-2"), cluster.owners("edge-1").keySet(), "the survivor owns every partition");
    assertEquals(StorageBus.DEFAULT_PARTITIONS, cluster.owners("edge-1").get("storage-2"));

    eventually("the subscriber on the other edge caught up", () -> subscriber.next() > EVENTS, 60);
    List<JsonObject> seen = subscriber.delivered();
    assertEquals(IntStream.rangeClosed(1, EVENTS).boxed().map(Long::valueOf).toList(),
      seen.stream().map(e -> e.getLong("seq")).toList(), "every event once, in order");
    assertEquals(publishers.acked.keySet(), seen.stream().map(e -> e.getString("id")).collect(Collectors.toSet()));

    cluster.start(victim); // the node comes back: it rejoins and takes its share again
    eventually("the restarted node owns partitions again", () -> cluster.owners("edge-1").getOrDefault(victim, 0) > 0
      && cluster.owners("edge-1").values().stream().mapToInt(Integer::intValue).sum() == StorageBus.DEFAULT_PARTITIONS, 60);
    String again = cluster.streamOwnedBy(victim, "app.rejoined", "edge-2");
    eventually("an append served by the restarted node", () -> {
      Response r = cluster.callQuietly("edge-2", "POST", "/api/streams/" + again + "/events", token,
        new JsonObject().put("type", "BACK").put("id", "back-1").put("data", new JsonObject()));
      return r != null && r.status() == 201 && r.json().getLong("seq") == 1;
    }, 30);
    bridge.close();
  }

  @Test
  void sensorFeedsAreSpreadOverTheNodesAndADeadNodesMoveWithEveryReadingCountedOnce() throws Exception {
    String admin = cluster.callWhenAvailable("edge-1", "POST", "/api/sessions", null, new JsonObject()
      .put("username", TestConf.ADMIN).put("password", TestConf.ADMIN_PASSWORD), 201).json().getString("token");
    int devices = 12;
    int perDevice = 120;
    List<String> keys = new ArrayList<>();
    for (int d = 0; d < devices; d++) { // a node a test before left dead may still be coming back: a 503 is retried,
      // with the registration's Idempotency-Key, so a 503 that hid the write is answered with a new key, not a 409
      keys.add(cluster.callWhenAvailable("edge-1", "POST", "/api/devices", admin, new JsonObject().put("deviceId", "fleet-" + d),
        Map.of("Idempotency-Key", "register-fleet-" + d), 201).json().getString("key"));
    }
    String victim = "storage-2";
    String sensorLocks = "locks: " + SensorsBus.LOCK_PREFIX;
    eventually("both nodes follow some of the devices", () -> List.of("storage-1", victim).stream().allMatch(node ->
      cluster.output(node).stream().anyMatch(line -> line.contains("owning partitions") && line.contains(sensorLocks))), 30);
    // every device posts its readings one at a time through either edge, retrying a 503 or no answer with the same id
    AtomicInteger acked = new AtomicInteger();
    AtomicInteger retried = new AtomicInteger();
    Instant at = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    ExecutorService pool = Executors.newFixedThreadPool(devices);
    List<java.util.concurrent.Future<?>> loops = new ArrayList<>();
    for (int d = 0; d < devices; d++) {
      int device = d;
      loops.add(pool.submit(() -> {
        for (int i = 0; i < perDevice; i++) {
          JsonObject reading = new JsonObject().put("kind", "temperature").put("value", 20 + i % 10)
            .put("at", at.plusMillis(i).toString()).put("id", "r-" + device + "-" + i);
          while (true) {
            Response r = cluster.callQuietly(i % 2 == 0 ? "edge-1" : "edge-2", "POST", "/api/sensors/fleet-" + device + "/readings",
              keys.get(device), reading);
            if (r != null && r.status() == 201) {
              acked.incrementAndGet();
              break;
            }
            assertTrue(r == null || r.status() == 503, () -> "only unavailability is retried: " + r.status() + " " + r.text());
            retried.incrementAndGet();
            Thread.sleep(100);
          }
        }
        return null;
      }));
    }
    eventually("a third of the readings acknowledged", () -> acked.get() >= devices * perDevice / 3, 60);
    cluster.kill(victim);
    for (java.util.concurrent.Future<?> loop : loops) {
      loop.get(3, TimeUnit.MINUTES);
    }
    pool.shutdown();
    assertEquals(devices * perDevice, acked.get());
    eventually("the survivor follows every device", () -> cluster.output("storage-1").stream().anyMatch(line ->
      line.contains("owning partitions [count: " + SensorsBus.PARTITIONS + ", of: " + SensorsBus.PARTITIONS) && line.contains(sensorLocks)), 30);
    for (int d = 0; d < devices; d++) {
      String device = "fleet-" + d;
      eventually(device + "'s feed caught up on the survivor", () -> {
        Response status = cluster.callQuietly("edge-2", "GET", "/api/sensors/" + device, admin, null);
        return status != null && status.status() == 200 && status.json().getLong("appliedSeq") == perDevice;
      }, 60);
      JsonObject buckets = cluster.call("edge-1", "GET", "/api/sensors/" + device + "/aggregates?kind=temperature&window=1m&from="
        + at.minusSeconds(120) + "&to=" + at.plusSeconds(120), admin, null).json();
      assertEquals(perDevice, buckets.getJsonArray("buckets").stream().mapToLong(b -> ((JsonObject) b).getLong("count")).sum(),
        device + ": every reading counted once in the 1-minute buckets: " + buckets.encode());
    }
    System.out.println("sensors failover: " + acked.get() + " readings, " + retried.get() + " retries after the kill");
    cluster.start(victim);
    eventually("the restarted node follows devices again", () -> cluster.output(victim).stream().anyMatch(line ->
      line.contains("owning partitions") && line.contains(sensorLocks)), 60);
    eventually("and every storage partition is owned again", () ->
      cluster.owners("edge-1").values().stream().mapToInt(Integer::intValue).sum() == StorageBus.DEFAULT_PARTITIONS, 60);
  }

  @Test
  void aBridgeFrameIsServedByTheEdgeThatReceivedItEvenWhileAnotherEdgeHangs() throws Exception {
    // a test before may have restarted a storage node: no partition moves while this one measures
    eventually("the storage nodes own their shares", () -> cluster.owners("edge-2").size() == 2
      && cluster.owners("edge-2").values().stream().allMatch(n -> n == StorageBus.DEFAULT_PARTITIONS / 2), 60);
    BridgeClient onEdge2 = bridge("edge-2", token);
    eventually("a first publish, which resolves the token and caches it before the pause", () -> {
      try {
        onEdge2.request("streams.publish", new JsonObject().put("stream", "app.local").put("type", "WARM")
          .put("data", new JsonObject())).await(10, TimeUnit.SECONDS);
        return true;
      } catch (Exception e) {
        return false;
      }
    }, 30);
    cluster.pause("edge-1"); // hung, not dead: for 5 s the cluster still counts it, and would route to it
    try {
      for (int i = 0; i < 12; i++) {
        // served by edge-1's consumer, a frame would wait for its timeout: served here, each is answered at once
        JsonObject ack = onEdge2.request("streams.publish", new JsonObject().put("stream", "app.local").put("type", "LOCAL")
          .put("id", "local-" + i).put("data", new JsonObject().put("i", i))).await(2, TimeUnit.SECONDS);
        assertEquals("local-" + i, ack.getString("id"));
      }
    } finally {
      cluster.resume("edge-1");
      onEdge2.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void browsersOfAKilledEdgeResumeOnTheOtherEdgeWithNoGap() throws Exception {
    String stream = "app.edge";
    TcpProxy balancer = TcpProxy.to(cluster.vertx(), List.of(cluster.port("edge-1"), cluster.port("edge-2"))).await(10, TimeUnit.SECONDS);
    try (Chromium chromium = Chromium.launch()) {
      BrowserContext context = chromium.context(1024, 768);
      Page page = context.newPage();
      page.navigate("http://127.0.0.1:" + balancer.port() + "/");
      page.evaluate("""
        async token => {
          const { Hubbub } = await import('/js/hubbub.js');
          window.t = { seen: [], states: [] };
          const hub = new Hubbub({ token, onState: s => window.t.states.push(s), reconnectDelayMinMs: 200, reconnectDelayMaxMs: 1000 });
          await hub.connect();
          hub.subscribe('%s', { afterSeq: 0 }, e => window.t.seen.push(e.seq));
        }""".formatted(stream), token);
      String dave = login("dave", "edge-1");
      String erin = login("erin", "edge-2");
      BridgeClient daveOn1 = bridge("edge-1", dave);
      BridgeClient erinOn2 = bridge("edge-2", erin);
      daveOn1.request("chat.join", new JsonObject().put("room", "edgy")).await(10, TimeUnit.SECONDS);
      erinOn2.request("chat.join", new JsonObject().put("room", "edgy")).await(10, TimeUnit.SECONDS);
      // both at once, on two edges: each socket's view (its snapshot, then deltas) is right however the registrations interleave
      PresenceView seenByDave = PresenceView.follow(daveOn1, "edgy", view -> { });
      PresenceView seenByErin = PresenceView.follow(erinOn2, "edgy", view -> { });
      eventually("dave sees erin online", () -> online(seenByDave).equals(List.of("dave", "erin")), 15, () -> daveOn1.frames);
      eventually("erin sees dave online", () -> online(seenByErin).equals(List.of("dave", "erin")), 15,
        () -> "erin: " + erinOn2.frames + ", dave: " + daveOn1.frames);

      int total = 300;
      for (int i = 1; i <= total; i++) {
        if (i == 101) {
          eventually("the page saw the first 100", () -> seen(page).size() == 100, 30);
          cluster.kill("edge-1");
        }
        Response r = cluster.call("edge-2", "POST", "/api/streams/" + stream + "/events", token,
          new JsonObject().put("type", "TICK").put("id", "tick-" + i).put("data", new JsonObject().put("i", i)));
        assertEquals(201, r.status(), r.text());
        if (i % 25 == 0) {
          seen(page); // keeps the page's work flowing while the test publishes
        }
      }
      eventually("the page saw every event", () -> seen(page).size() >= total, 60);
      Thread.sleep(1_500); // any stray repeat would arrive now
      assertEquals(IntStream.rangeClosed(1, total).boxed().map(Long::valueOf).toList(), seen(page),
        "every event once, in order, across the move to the other edge");
      List<?> states = (List<?>) page.evaluate("() => window.t.states");
      assertTrue(states.contains("reconnecting") && "open".equals(states.get(states.size() - 1)),
        "the page noticed the drop and reconnected: " + states);
      eventually("dave's connections died with edge-1: erin sees him gone", () -> online(seenByErin).equals(List.of("erin")), 30);
      erinOn2.close().await(10, TimeUnit.SECONDS);
      context.close();
    } finally {
      balancer.close().await(10, TimeUnit.SECONDS);
    }
    cluster.start("edge-1"); // the edge comes back and serves again
    JsonObject ready = cluster.call("edge-1", "GET", "/ready", null, null).json();
    assertEquals("READY", ready.getString("status"), ready.encode());
    assertEquals(4, ready.getJsonObject("cluster").getInteger("members"), ready.encode());
    Response r = cluster.call("edge-1", "GET", "/api/streams/" + stream + "/events?from=300", token, null);
    assertEquals(300, r.json().getJsonArray("events").getJsonObject(0).getLong("seq"));
  }

  @Test
  void sessionsPresenceAndRateLimitsHoldAcrossEdges() throws Exception {
    String alice = login("alice", "edge-1");
    String bob = login("bob", "edge-2");
    BridgeClient aliceOn1 = bridge("edge-1", alice);
    BridgeClient aliceOn2 = bridge("edge-2", alice); // a session made on one edge works on the other
    BridgeClient bobOn2 = bridge("edge-2", bob);
    JsonObject room = new JsonObject().put("room", "across");
    aliceOn1.request("chat.join", room).await(10, TimeUnit.SECONDS);
    bobOn2.request("chat.join", room).await(10, TimeUnit.SECONDS);

    PresenceView seenByAlice = PresenceView.follow(aliceOn1, "across", view -> { });
    eventually("alice sees herself online", () -> online(seenByAlice).equals(List.of("alice")), 15);
    bobOn2.register("chat.presence.across", frame -> { });
    eventually("alice, on edge-1, sees bob, on edge-2, online", () -> online(seenByAlice).equals(List.of("alice", "bob")), 15,
      () -> "alice: " + aliceOn1.frames + ", bob: " + bobOn2.frames);
    bobOn2.send("chat.typing", room);
    eventually("and typing", () -> seenByAlice.typing().contains("bob"), 15);
    bobOn2.close().await(10, TimeUnit.SECONDS);
    eventually("and gone when his connection closes", () -> online(seenByAlice).equals(List.of("alice")), 15);

    int sent = 0;
    int limited = 0;
    for (int i = 0; i < 25; i++) { // 20 per 10 s per user, wherever they arrive
      BridgeClient via = i % 2 == 0 ? aliceOn1 : aliceOn2;
      try {
        via.request("chat.send", room.copy().put("text", "message " + i)).await(10, TimeUnit.SECONDS);
        sent++;
      } catch (ReplyException e) {
        assertEquals(429, e.failureCode(), e.getMessage());
        limited++;
      }
    }
    assertEquals(20, sent, "the limit holds across the two edges and both chat instances");
    assertEquals(5, limited);
    aliceOn1.close().await(10, TimeUnit.SECONDS);
    aliceOn2.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void truncationAndDeletionsReachTheOwnersOfTheirStreamsOnAnyNode() throws Exception {
    String admin = cluster.callWhenAvailable("edge-2", "POST", "/api/sessions", null, new JsonObject().put("username", TestConf.ADMIN)
      .put("password", TestConf.ADMIN_PASSWORD), 201).json().getString("token");
    String dora = login("dora", "edge-1");
    for (int i = 0; i < 30; i++) {
      assertEquals(201, cluster.call("edge-1", "POST", "/api/streams/app.spread/events", dora, new JsonObject().put("type", "E")
        .put("data", new JsonObject())).status());
    }
    assertEquals(200, cluster.call("edge-2", "POST", "/api/streams/app.spread/truncate", admin, new JsonObject().put("before", 21)).status());
    assertEquals(new JsonObject().put("stream", "app.spread").put("firstSeq", 21).put("lastSeq", 30),
      cluster.call("edge-1", "GET", "/api/streams/app.spread", dora, null).json(), "the owner cut it, whichever node it is");

    BridgeClient doraOn1 = bridge("edge-1", dora);
    for (String room : new String[] {"gone", "kept"}) {
      doraOn1.request("chat.join", new JsonObject().put("room", room)).await(10, TimeUnit.SECONDS);
      doraOn1.request("chat.send", new JsonObject().put("room", room).put("text", "hi from dora")).await(10, TimeUnit.SECONDS);
    }
    assertEquals(204, cluster.call("edge-2", "DELETE", "/api/rooms/gone", admin, null).status());
    assertEquals(new JsonObject().put("stream", "chat.gone").put("firstSeq", 2).put("lastSeq", 1),
      cluster.call("edge-1", "GET", "/api/streams/chat.gone", admin, null).json());
    assertEquals(204, cluster.call("edge-2", "DELETE", "/api/users/dora", admin, null).status());
    eventually("dora's message in kept is redacted, by the chat instance of either edge", () -> {
      Response page = cluster.callQuietly("edge-1", "GET", "/api/streams/chat.kept/events", admin, null);
      return page != null && page.status() == 200
        && "deleted-user".equals(page.json().getJsonArray("events").getJsonObject(0).getString("by"));
    }, 30);
    doraOn1.close().await(10, TimeUnit.SECONDS);
  }

  /** What a node logged about presence reports: its gateway's id, the gateways its chat follows, failed snapshots. */
  private List<String> presenceLines(String node) {
    return cluster.output(node).stream().filter(line -> line.contains("PresenceRe")).toList();
  }

  /** MQTT's one connection a client id holds across edges: a device's new connection on one ends its older one on the other. */
  @Test
  void anMqttClientIdTakenOnOneEdgeEndsTheDevicesConnectionOnTheOther() throws Exception {
    String admin = cluster.callWhenAvailable("edge-1", "POST", "/api/sessions", null, new JsonObject()
      .put("username", TestConf.ADMIN).put("password", TestConf.ADMIN_PASSWORD), 201).json().getString("token");
    String key = cluster.callWhenAvailable("edge-1", "POST", "/api/devices", admin, new JsonObject().put("deviceId", "roamer"),
      Map.of("Idempotency-Key", "register-roamer"), 201).json().getString("key");
    MqttClientOptions options = new MqttClientOptions().setClientId("roamer").setUsername("roamer").setPassword(key);
    MqttClient first = MqttClient.create(cluster.vertx(), options);
    MqttClient second = MqttClient.create(cluster.vertx(), new MqttClientOptions(options));
    CompletableFuture<Void> firstClosed = new CompletableFuture<>();
    first.closeHandler(v -> firstClosed.complete(null));
    CompletableFuture<Integer> acknowledged = new CompletableFuture<>();
    second.publishCompletionHandler(acknowledged::complete);
    try {
      first.connect(cluster.mqttPort("edge-1"), "127.0.0.1").await(20, TimeUnit.SECONDS);
      second.connect(cluster.mqttPort("edge-2"), "127.0.0.1").await(20, TimeUnit.SECONDS);
      firstClosed.get(20, TimeUnit.SECONDS);
      int id = second.publish("sensor/roamer/readings", new JsonObject().put("kind", "temperature").put("value", 20).toBuffer(),
        MqttQoS.AT_LEAST_ONCE, false, false).await(20, TimeUnit.SECONDS);
      assertEquals(id, acknowledged.get(20, TimeUnit.SECONDS));
      assertTrue(second.isConnected(), "the newer connection stays");
    } finally {
      if (second.isConnected()) {
        second.disconnect().await(10, TimeUnit.SECONDS);
      }
    }
  }

  /** The last warnings and errors a node printed, for a failure's message. */
  private List<String> warnings(String node) {
    List<String> lines = cluster.output(node).stream().filter(line -> line.contains("WARN") || line.contains("ERROR")).toList();
    return lines.subList(Math.max(0, lines.size() - 15), lines.size());
  }

  /**
   * hubbub.js's merged presence in a page on edge-1, and a Java view on edge-2, through random joins, leaves and
   * typing of members connected to either edge: at quiet moments both equal the true picture.
   */
  @Test
  void presenceMergedInAPageIsTheTruthThroughRandomChangesOnBothEdges() throws Exception {
    List<String> users = IntStream.range(0, 8).mapToObj(i -> "mx" + i).toList();
    java.util.Map<String, String> tokens = new java.util.HashMap<>();
    for (String user : users) {
      tokens.put(user, login(user, "edge-2"));
    }
    String watcher = login("mxpage", "edge-1");
    JsonObject room = new JsonObject().put("room", "mix");
    BridgeClient javaSide = bridge("edge-2", tokens.get("mx0"));
    javaSide.request("chat.join", room).await(10, TimeUnit.SECONDS);
    PresenceView onEdge2 = PresenceView.follow(javaSide, "mix", view -> { });
    java.util.Map<BridgeClient, String> open = new java.util.LinkedHashMap<>();
    open.put(javaSide, "mx0");
    try (Chromium chromium = Chromium.launch()) {
      BrowserContext context = chromium.context(1024, 768);
      Page page = context.newPage();
      page.navigate("http://127.0.0.1:" + cluster.port("edge-1") + "/");
      page.evaluate("""
        async token => {
          const { Hubbub } = await import('/js/hubbub.js');
          const hub = new Hubbub({ token });
          await hub.connect();
          await hub.request('chat.join', { room: 'mix' });
          hub.presence('mix', p => { window.picture = p; });
        }""", watcher);
      java.util.Random random = new java.util.Random(11);
      for (int round = 0; round < 3; round++) {
        for (int step = 0; step < 20; step++) {
          int op = random.nextInt(10);
          if (op < 5) {
            String user = users.get(random.nextInt(users.size()));
            BridgeClient socket = bridge(random.nextBoolean() ? "edge-1" : "edge-2", tokens.get(user));
            socket.request("chat.join", room).await(10, TimeUnit.SECONDS);
            socket.register("chat.presence.mix", frame -> { });
            open.put(socket, user);
          } else if (op < 8 && open.size() > 1) {
            BridgeClient socket = new java.util.ArrayList<>(open.keySet()).get(1 + random.nextInt(open.size() - 1));
            open.remove(socket);
            socket.close().await(10, TimeUnit.SECONDS);
          } else {
            new java.util.ArrayList<>(open.keySet()).get(random.nextInt(open.size())).send("chat.typing", room);
          }
        }
        List<String> truth = java.util.stream.Stream.concat(open.values().stream(), java.util.stream.Stream.of("mxpage"))
          .distinct().sorted().toList();
        int r = round;
        eventually("round " + r + ": the page and edge-2's view show " + truth, () -> {
          @SuppressWarnings("unchecked")
          java.util.Map<String, Object> picture = (java.util.Map<String, Object>) page.evaluate("() => window.picture || null");
          return picture != null && truth.equals(((List<?>) picture.get("online")).stream().map(String::valueOf).sorted().toList())
            && ((Number) picture.get("count")).intValue() == truth.size()
            && online(onEdge2).equals(truth) && onEdge2.count() == truth.size();
        }, 20, () -> "page: " + page.evaluate("() => JSON.stringify(window.picture)") + ", edge-2: " + onEdge2
          + "; the edges' warnings: " + warnings("edge-1") + " " + warnings("edge-2")
          + "; presence on edge-1: " + presenceLines("edge-1") + ", on edge-2: " + presenceLines("edge-2")
          + "; " + cluster.registrations(ChatBus.GATEWAYS.address(), ChatBus.SUBSCRIPTIONS.address()));
      }
      context.close();
    } finally {
      for (BridgeClient socket : open.keySet()) {
        socket.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  private String login(String user, String edge) {
    return cluster.signUpAndLogIn(edge, user);
  }

  private BridgeClient bridge(String edge, String bearer) throws Exception {
    BridgeClient client = BridgeClient.connect(cluster.vertx(), cluster.port(edge)).await(10, TimeUnit.SECONDS).token(bearer);
    cluster.vertx().setPeriodic(5_000, t -> client.ping());
    return client;
  }

  /** Who a view shows online, sorted; nothing while it waits for a snapshot. */
  private static List<String> online(PresenceView view) {
    return view.inStep() ? view.online().stream().sorted().toList() : List.of();
  }

  @SuppressWarnings("unchecked")
  private static List<Long> seen(Page page) {
    return ((List<Number>) page.evaluate("() => window.t.seen")).stream().map(Number::longValue).toList();
  }
}
