package io.hubbub.launcher;

import io.hubbub.client.HubbubHttp;
import io.hubbub.support.HubbubProcess;
import io.hubbub.support.ProcessFixture;
import io.hubbub.support.TestStore;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acknowledged means stored: the server is SIGKILLed while publishers are mid-flight (at any moment, and in the
 * middle of one of its embedded store's checkpoints), restarted on the same data, and every acknowledged event is
 * there with its seq, with no gap and no repeat.
 */
class CrashRecoveryIT {

  private static final int PUBLISHERS = 32;
  private static final int PER_PUBLISHER = 25;
  private static final int KILL_AFTER_ACKS = 500;
  /** The embedded store's fault-injection point: a checkpoint pauses this many ms after its commit, before its sync. */
  private static final String CHECKPOINT_FAILPOINT = "hubbub.failpoint.checkpointPauseMs";

  private ProcessFixture fixture;

  @BeforeEach
  void setUp() throws Exception {
    fixture = new ProcessFixture("hubbub-crash");
  }

  @AfterEach
  void tearDown() throws Exception {
    fixture.close();
  }

  @Test
  void everyAcknowledgedEventSurvivesSigkill() throws Exception {
    crashAndCheck(Map.of(), (process, acked) -> { });
  }

  /**
   * The embedded store's checkpoint is held (a fault-injection point) after its commit, before it syncs the file and
   * deletes the journal it holds; publishing goes on meanwhile, and the kill lands there. After the restart the
   * journal's records the file already holds are not applied again: seqs stay gapless, ids single.
   */
  @Test
  void everyAcknowledgedEventSurvivesSigkillDuringACheckpoint() throws Exception {
    Map<String, String> env = Map.of("JAVA_TOOL_OPTIONS", "-D" + CHECKPOINT_FAILPOINT + "=60000");
    crashAndCheck(env, (process, acked) -> {
      if (TestStore.external()) {
        return; // MongoDB has no such checkpoint: the kill lands anywhere, as above
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (process.output().stream().noneMatch(line -> line.contains("failpoint " + CHECKPOINT_FAILPOINT))) {
        assertTrue(System.nanoTime() < deadline, "a checkpoint reached its failpoint");
        Thread.sleep(20);
      }
      int atCheckpoint = acked.size();
      while (acked.size() < Math.min(atCheckpoint + 100, PUBLISHERS * PER_PUBLISHER) && System.nanoTime() < deadline) {
        Thread.sleep(5); // acknowledged while the checkpoint waits: in the journal only
      }
    });
  }

  /** What happens between enough acknowledgements and the kill. */
  private interface BeforeKill {
    void run(HubbubProcess process, Map<String, Long> acked) throws Exception;
  }

  private void crashAndCheck(Map<String, String> env, BeforeKill beforeKill) throws Exception {
    JsonObject conf = HubbubProcess.conf();
    HubbubProcess first = fixture.start(conf, env);
    HubbubHttp http = fixture.http(first.awaitStarted(), PUBLISHERS);
    String token = login(http);

    Map<String, Long> acked = new ConcurrentHashMap<>();
    CountDownLatch enough = new CountDownLatch(KILL_AFTER_ACKS);
    for (int p = 0; p < PUBLISHERS; p++) {
      publishInTurn(http, token, "p" + p, 0, acked, enough);
    }
    assertTrue(enough.await(60, TimeUnit.SECONDS), "publishers got " + acked.size() + " acks");
    beforeKill.run(first, acked);
    first.kill();
    Map<String, Long> ackedBeforeKill = new HashMap<>(acked);
    http.close();

    HubbubProcess second = fixture.start(conf, Map.of());
    HubbubHttp again = fixture.http(second.awaitStarted(), 1);
    List<JsonObject> stored;
    try {
      stored = readAll(again, login(again));
    } catch (Exception e) {
      throw new AssertionError("the restarted node did not answer its reads; its threads:\n" + second.threadDump(), e);
    }
    again.close();

    Map<String, Long> storedIds = new HashMap<>();
    for (int i = 0; i < stored.size(); i++) {
      JsonObject event = stored.get(i);
      assertEquals(i + 1, event.getLong("seq"), "seqs run 1, 2, 3, … with no gap");
      assertEquals(null, storedIds.put(event.getString("id"), event.getLong("seq")), "no id stored twice");
    }
    for (Map.Entry<String, Long> ack : ackedBeforeKill.entrySet()) {
      assertEquals(ack.getValue(), storedIds.get(ack.getKey()), "acknowledged event " + ack.getKey() + " is stored with its seq");
    }
    assertTrue(stored.size() >= ackedBeforeKill.size());
    assertEquals(0, second.terminate(), "SIGTERM stops the node gracefully with exit code 0");
  }

  /** One publisher: its events one after the other, each with its own id. */
  private void publishInTurn(HubbubHttp http, String token, String publisher, int n, Map<String, Long> acked, CountDownLatch enough) {
    if (n == PER_PUBLISHER) {
      return;
    }
    String id = publisher + "-" + n;
    JsonObject event = new JsonObject().put("type", "TICK").put("data", new JsonObject().put("n", n)).put("id", id);
    http.call(HttpMethod.POST, "/api/streams/app.crash/events", token, event).onSuccess(ack -> {
      acked.put(id, ack.getLong("seq"));
      enough.countDown();
      publishInTurn(http, token, publisher, n + 1, acked, enough);
    });
  }

  private List<JsonObject> readAll(HubbubHttp http, String token) throws Exception {
    List<JsonObject> events = new ArrayList<>();
    long from = 1;
    while (true) {
      JsonObject page = http.call(HttpMethod.GET, "/api/streams/app.crash/events?limit=1000&from=" + from, token, null)
        .await(30, TimeUnit.SECONDS);
      JsonArray batch = page.getJsonArray("events");
      batch.forEach(e -> events.add((JsonObject) e));
      if (batch.isEmpty()) {
        return events;
      }
      from = page.getLong("next");
    }
  }

  private String login(HubbubHttp http) throws Exception {
    JsonObject credentials = new JsonObject().put("username", "crash-test").put("password", "crash-test-password");
    http.call(HttpMethod.POST, "/api/users", null, credentials).otherwiseEmpty().await(30, TimeUnit.SECONDS);
    return http.call(HttpMethod.POST, "/api/sessions", null, credentials).await(30, TimeUnit.SECONDS).getString("token");
  }
}
