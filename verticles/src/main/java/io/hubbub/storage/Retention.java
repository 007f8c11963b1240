package io.hubbub.storage;

import io.hubbub.Node;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.Streams;
import io.hubbub.conf.HubbubConf;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Applies the namespaces' {@code retention} to the streams this storage instance owns, every
 * {@code storage.retentionSweepSeconds}: one stream at a time, in the background, so appends and reads wait on
 * it for no more than a store call. {@code maxEvents} keeps each stream's newest events (the cut is exact:
 * readers see no more than that many); {@code maxAge} drops whole buckets whose newest event is older (so up to a
 * bucket's worth of older events may stay readable). A sweep that finds a stream with nothing to drop costs one
 * look at its oldest bucket alone (a span of buckets is read only once that one has expired). A stream of any
 * namespace whose last drop was cut short (its {@code floor} below its {@code firstSeq}: a crash during a
 * truncation) has that drop finished. A stream under {@code maxAge} alone whose oldest bucket was found young is
 * not looked at again before that bucket can expire ({@link #resting}), nor for more than an hour: 2,000 sensor
 * streams cost 2,000 store reads a sweep without that, every minute, and the readings' latency felt it.
 */
final class Retention {

  private static final Logger log = LoggerFactory.getLogger(Retention.class);
  /** The most spans of buckets one sweep looks through per stream: a long backlog is worked off over several sweeps. */
  private static final int MAX_SPANS = 64;
  /** How long a stream found young may go unlooked at, at most: bounds what an import of older events could hide. */
  private static final long MAX_REST_MS = 3_600_000;

  /** The heads of a stream's buckets holding seqs from {@code from} to {@code from + span - 1} ({@link EventStore#heads}). */
  interface Heads {
    Future<List<JsonObject>> of(String stream, long from, int span);
  }

  /** What the sweep needs of storage, answered on its loop. */
  interface Owner {
    /** Whether this instance owns the stream's partition now. */
    boolean owns(String stream);

    /** Where the stream's history starts and ends. */
    Future<StorageBus.StreamInfo> range(String stream);

    /** Drops the stream's history below {@code firstSeq}; answers the buckets deleted. */
    Future<Integer> cut(String stream, long firstSeq);
  }

  private final Vertx vertx;
  private final Map<String, HubbubConf.Access> namespaces;
  private final long sweepMs;
  private final StreamBounds bounds;
  private final Heads heads;
  private final Owner streams;
  private final Counter bucketsDropped = Counter.builder("hubbub.storage.retention.buckets.dropped")
    .description("Buckets of events the retention sweeps dropped").register(Node.registry());
  private final Counter looks = Counter.builder("hubbub.storage.retention.looks")
    .description("Streams whose oldest events a retention sweep read, to see whether they expired").register(Node.registry());
  /** Per stream under {@code maxAge} alone: when its oldest bucket can first expire, as last seen (ms). */
  private final Map<String, Long> resting = new HashMap<>();
  private boolean stopped;
  private long timer = -1;

  Retention(Vertx vertx, HubbubConf conf, StreamBounds bounds, EventStore events, Owner streams) {
    this.vertx = vertx;
    this.namespaces = conf.namespaces();
    this.sweepMs = conf.storage().retentionSweepSeconds() * 1_000L;
    this.bounds = bounds;
    this.heads = events::heads;
    this.streams = streams;
  }

  void start() {
    timer = vertx.setTimer(sweepMs, t -> sweep());
  }

  void stop() {
    stopped = true;
    vertx.cancelTimer(timer);
  }

  private void sweep() {
    long started = System.currentTimeMillis();
    int[] dropped = {0, 0};
    bounds.list()
      .compose(all -> {
        resting.keySet().retainAll(all.keySet());
        return next(all.entrySet().stream()
          .filter(e -> policy(e.getKey()).bounded() || e.getValue().floor() < e.getValue().firstSeq())
          .filter(e -> e.getValue().floor() < e.getValue().firstSeq() || !rests(e.getKey(), started))
          .map(Map.Entry::getKey).filter(streams::owns).iterator(), started, dropped);
      })
      .onSuccess(v -> {
        if (dropped[1] > 0) {
          bucketsDropped.increment(dropped[1]);
          log.debug("retention dropped old events [streams: {}, buckets: {}, ms: {}]", dropped[0], dropped[1],
            System.currentTimeMillis() - started);
        }
      })
      .onFailure(failure -> log.warn("retention sweep cut short, retried at the next [error: {}]", failure.getMessage()))
      .onComplete(done -> {
        if (!stopped) {
          timer = vertx.setTimer(sweepMs, t -> sweep());
        }
      });
  }

  private Future<Void> next(Iterator<String> pending, long now, int[] dropped) {
    if (stopped || !pending.hasNext()) {
      return Future.succeededFuture();
    }
    String stream = pending.next();
    return apply(stream, policy(stream), now).map(buckets -> {
      if (buckets > 0) {
        dropped[0]++;
        dropped[1] += buckets;
      }
      return null;
    }).compose(v -> next(pending, now, dropped));
  }

  /** Whether a stream under {@code maxAge} alone has nothing that can have expired by {@code now}. */
  private boolean rests(String stream, long now) {
    Long until = resting.get(stream);
    return until != null && until > now && policy(stream).maxEvents() == 0;
  }

  /** Applies a policy to one stream now: answers the buckets dropped. */
  Future<Integer> apply(String stream, HubbubConf.Retention policy, long now) {
    return streams.range(stream).compose(range -> {
      long first = range.firstSeq();
      long last = range.lastSeq();
      long byCount = countCut(policy, first, last);
      Future<Long> cut = policy.maxAgeSeconds() == 0 ? Future.succeededFuture(byCount)
        : ageCut(stream, byCount, last, now - policy.maxAgeSeconds() * 1_000L, 0);
      // a cut at where it starts already finishes a drop cut short, if there is one; else it costs nothing
      return cut.compose(at -> streams.cut(stream, Math.max(at, first)));
    });
  }

  /** Where {@code maxEvents} cuts a stream holding {@code first..last}: no lower than it starts. */
  static long countCut(HubbubConf.Retention policy, long first, long last) {
    return policy.maxEvents() == 0 ? first : Math.max(first, last - policy.maxEvents() + 1);
  }

  /**
   * Where {@code maxAge} cuts, looking from {@code from}: after the last of the oldest buckets whose newest event is
   * older than {@code oldest} (ms); {@code from} when the first bucket is young enough.
   */
  private Future<Long> ageCut(String stream, long from, long last, long oldest, int spans) {
    if (from > last || spans >= MAX_SPANS) {
      return Future.succeededFuture(from);
    }
    // first the oldest bucket alone: most sweeps find it young, and a span of small buckets is many documents
    if (spans == 0) {
      looks.increment();
    }
    return heads.of(stream, from, spans == 0 ? 1 : EventStore.SPAN).compose(found -> {
      long cut = ageCut(found, from, oldest);
      if (spans == 0 && cut == from) {
        rest(stream, found, from);
      }
      boolean more = cut > from && found.stream().allMatch(b -> b.getLong("last") < cut); // every bucket of the span expired
      return more ? ageCut(stream, cut, last, oldest, spans + 1) : Future.succeededFuture(cut);
    });
  }

  /**
   * Remembers when the young bucket holding {@code from} can first expire: its newest event's time plus the
   * policy's age, an hour from now at most (buckets are written whole: their newest event stays theirs).
   */
  private void rest(String stream, List<JsonObject> heads, long from) {
    for (JsonObject head : heads) {
      if (head.getLong("first") <= from && head.getLong("last") >= from) {
        long expires = Instant.parse(head.getString("ts")).toEpochMilli() + policy(stream).maxAgeSeconds() * 1_000L;
        resting.put(stream, Math.min(expires, System.currentTimeMillis() + MAX_REST_MS));
        return;
      }
    }
  }

  /** Within one span of bucket heads (by {@code first}): past every expired bucket from {@code from} on. */
  static long ageCut(List<JsonObject> heads, long from, long oldest) {
    long cut = from;
    for (JsonObject head : heads) {
      if (head.getLong("last") < cut) {
        continue; // below where readers start: already dropped from view
      }
      if (head.getLong("first") > cut || Instant.parse(head.getString("ts")).toEpochMilli() >= oldest) {
        break;
      }
      cut = head.getLong("last") + 1;
    }
    return cut;
  }

  private HubbubConf.Retention policy(String stream) {
    HubbubConf.Access access = namespaces.get(Streams.namespace(stream));
    return access == null ? HubbubConf.Retention.NONE : access.retention();
  }
}
