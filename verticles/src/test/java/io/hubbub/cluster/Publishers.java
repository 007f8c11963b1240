package io.hubbub.cluster;

import io.hubbub.client.Response;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Publishers over HTTP as a careful client writes them: events {@code ev-0 … ev-(n-1)} shared out among
 * threads, each event sent until it is acknowledged, always with its own id, 100 ms between tries. Once
 * {@link #mark} records the moment of a fault, it measures what clients felt: the longest wait of one
 * request for its answer, the longest pause between acknowledgements, the first acknowledgement of a
 * request sent after it.
 */
final class Publishers {

  private final TestCluster cluster;
  private final String token;
  private final String stream;
  private final int events;
  private final List<String> edges;
  final Map<String, Long> acked = new ConcurrentHashMap<>();
  final AtomicInteger retries = new AtomicInteger();
  private final AtomicLong markedAt = new AtomicLong();
  private final AtomicLong longestWait = new AtomicLong();
  private final AtomicLong firstAckAfterMark = new AtomicLong();
  private final Queue<Long> ackTimes = new ConcurrentLinkedQueue<>();
  private final ExecutorService threads;
  private final List<Future<?>> work = new ArrayList<>();

  /** Starts {@code threads} publishers of {@code events} events to {@code stream}, through the edges in turn. */
  Publishers(TestCluster cluster, String token, String stream, int events, int threads, List<String> edges) {
    this.cluster = cluster;
    this.token = token;
    this.stream = stream;
    this.events = events;
    this.edges = edges;
    this.threads = Executors.newFixedThreadPool(threads);
    for (int p = 0; p < threads; p++) {
      int publisher = p;
      work.add(this.threads.submit(() -> publish(publisher, threads)));
    }
  }

  private Void publish(int publisher, int threads) throws InterruptedException {
    String edge = edges.get(publisher % edges.size());
    for (int i = publisher; i < events; i += threads) {
      String id = "ev-" + i;
      JsonObject event = new JsonObject().put("type", "NUMBERED").put("id", id).put("data", new JsonObject().put("i", i));
      while (true) {
        long sent = System.nanoTime();
        Response r = cluster.callQuietly(edge, "POST", "/api/streams/" + stream + "/events", token, event);
        long answered = System.nanoTime();
        long marked = markedAt.get();
        if (marked != 0 && answered > marked) {
          longestWait.accumulateAndGet(answered - sent, Math::max);
          if (answered - sent > TimeUnit.SECONDS.toNanos(2)) {
            System.out.printf("slow publish: %s via %s, sent %d ms after the fault, waited %d ms, answered %s%n", id, edge,
              (sent - marked) / 1_000_000, (answered - sent) / 1_000_000, r == null ? "nothing" : r.status() + " " + r.text());
          }
        }
        if (r != null && r.status() == 201) {
          acked.put(id, r.json().getLong("seq"));
          ackTimes.add(answered);
          if (marked != 0 && sent > marked) {
            firstAckAfterMark.compareAndSet(0, answered);
          }
          break;
        }
        retries.incrementAndGet();
        Thread.sleep(100);
      }
    }
    return null;
  }

  /** Now is the fault: from here on, waits and pauses count. */
  void mark() {
    markedAt.set(System.nanoTime());
  }

  void await() throws Exception {
    for (Future<?> f : work) {
      f.get(4, TimeUnit.MINUTES);
    }
    threads.shutdown();
  }

  long longestWaitNs() {
    return longestWait.get();
  }

  long longestPauseNs() {
    List<Long> times = ackTimes.stream().sorted().toList();
    long marked = markedAt.get();
    long longest = 0;
    for (int i = 1; i < times.size(); i++) {
      if (times.get(i) > marked) {
        longest = Math.max(longest, times.get(i) - Math.max(times.get(i - 1), marked));
      }
    }
    return longest;
  }

  /** What clients felt after the fault, one line. */
  String summary() {
    return String.format("longest pause between acknowledgements after it %.2f s; longest wait of one publish for its answer"
        + " %.2f s; first append sent after it acknowledged %.2f s after it; %d retries", longestPauseNs() / 1e9,
      longestWait.get() / 1e9, (firstAckAfterMark.get() - markedAt.get()) / 1e9, retries.get());
  }

  /** The stream as stored holds every acknowledged event once, under the seq its publisher was told, with no gap. */
  void assertStoredOnce(List<JsonObject> stored) {
    assertEquals(events, stored.size(), "every acknowledged event stored exactly once");
    for (int i = 0; i < stored.size(); i++) {
      assertEquals(i + 1, stored.get(i).getLong("seq"), "seqs run with no gap");
    }
    Map<String, Long> storedIds = stored.stream().collect(Collectors.toMap(e -> e.getString("id"), e -> e.getLong("seq")));
    assertEquals(acked, storedIds, "each id once, under the seq its publisher was told");
  }
}
