package io.hubbub.storage;

import io.hubbub.bus.Failures;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.BulkOperation;
import io.vertx.ext.mongo.BulkWriteOptions;
import io.vertx.ext.mongo.FindOptions;
import io.vertx.ext.mongo.IndexOptions;
import io.vertx.ext.mongo.MongoClient;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Events are stored in buckets: each group commit writes the events it appends to a stream as one
 * document of the {@code buckets} collection, {@code {_id, stream, first, last, ts, sids, events}}, at most
 * {@value #MAX_BUCKET_EVENTS} events each ({@code ts}: the time of its newest event, for retention; buckets
 * written before it was added lack it). {@code _id} is {@code <stream>|<first seq, 19 digits>};
 * {@code events} holds {@code {seq, id, type, data, by, ts}} in seq order; {@code sids} holds {@code <id>|<stream>}
 * of each event whose id its publisher gave, under a unique, sparse (multikey) index: the idempotency lookup, and a
 * fence against an id stored twice. A bucket without such an event has no {@code sids}, but where the store's index
 * is not sparse (made before 2026-12-08) each bucket holds its own key first ({@link #ownKey}). An id the server made
 * ({@link MadeIds}) is unique by construction and carries its event's seq, where it is looked up, so it is not
 * indexed: a batch of 1,000 events without ids puts no key into the index, not 1,000 (the index's inserts were a
 * tenth of the server's CPU in such appends, and a quarter of what it allocated). Buckets written before 2026-12-07
 * hold every id; all read alike.
 *
 * <p>A stream's buckets are contiguous: each starts right after the end of another (a writer knows
 * where a stream ends only from a bucket it wrote or found), so two writers that both think they may
 * append the same stream collide on the {@code _id} of the next bucket, and the later one is refused.
 *
 * <p>Every lookup is an exact match on a single-field unique index ({@code _id} or {@code sids}): the
 * bucket holding seq {@code n} starts in {@code [n - MAX_BUCKET_EVENTS + 1, n]}, so reads ask for those
 * keys with {@code $in}. (The embedded store answers range and compound-index queries by scanning the
 * whole collection; MongoDB answers these lookups from its indexes too.) Every call gives up after the
 * configured timeout with a 503 ({@link StoreCalls}).
 *
 * <p>Retention and truncation drop whole buckets from the oldest on ({@link #drop}); where a stream's history now
 * starts is kept in {@link StreamBounds}, which also lists every stream.
 */
final class EventStore implements EventLog {

  static final String BUCKETS = "buckets";
  /** Where events were kept one document each, before buckets: a store holding any is refused. */
  static final String LEGACY_EVENTS = "events";
  static final String META = "meta";
  static final int MAX_BUCKET_EVENTS = 128;
  /** The unique index on {@code sids}. */
  static final String IDS_INDEX = "stream_ids";
  /** The name of a bucket's array of events, as its BSON holds it. */
  private static final byte[] EVENTS_FIELD = "events".getBytes(StandardCharsets.US_ASCII);
  /** How many seqs from its start the first fetch of a read asks for. */
  private static final int FIRST_SPAN = 256;

  /** How many streams' last read positions {@link #recent} keeps. */
  private static final int RECENT = 4096;

  /** Seqs probed at once while looking for a stream's last seq. */
  private static final int PROBES = 16;

  /** How many seqs one step of {@link #drop} looks at, and {@link #heads} at most. */
  static final int SPAN = 1024;

  private final MongoClient mongo;
  private final RawBuckets raw;
  private final StoreCalls calls;
  private final StreamBounds bounds;
  /** Per stream, at most {@value #RECENT} (the least recently read dropped): where its last read stopped. */
  private final Map<String, Bucket> recent = new Recent<>(RECENT);
  /** {@link #ownKeys()}: set once at start, by {@link #ensureIndexes}, before any append. */
  private volatile boolean ownKeys = true;

  EventStore(MongoClient mongo, RawBuckets raw, StoreCalls calls, StreamBounds bounds) {
    this.mongo = mongo;
    this.raw = raw;
    this.calls = calls;
    this.bounds = bounds;
  }

  /**
   * Makes the {@code sids} index ({@value #IDS_INDEX}: unique, sparse) unless the store has one, and learns from the
   * one it has whether buckets must keep their own keys in it ({@link #ownKey}). A store made before 2026-12-08 holds
   * it not sparse, and keeps it so: MongoDB cannot hold both on one key, and dropping it to make it again would leave
   * the store without its fence against an id stored twice meanwhile. An index another node made since this one
   * looked is taken as it is.
   */
  Future<Void> ensureIndexes() {
    return calls.guard(mongo.count(LEGACY_EVENTS, new JsonObject())).compose(legacy -> {
      if (legacy > 0) {
        return Future.failedFuture(Failures.unavailable("the store holds " + legacy + " events in the layout of "
          + "Hubbub 0.1 (collection '" + LEGACY_EVENTS + "'); this version keeps them in '" + BUCKETS
          + "' and does not convert them: use an empty database or the version that wrote them"));
      }
      return idsIndexSparse().compose(sparse -> sparse != null ? Future.succeededFuture(sparse)
        : calls.guard(mongo.createIndexWithOptions(BUCKETS, new JsonObject().put("sids", 1),
            new IndexOptions().unique(true).sparse(true).name(IDS_INDEX))).map(true)
          .recover(refused -> idsIndexSparse().compose(made -> made != null ? Future.succeededFuture(made)
            : Future.failedFuture(refused))));
    }).map(sparse -> {
      ownKeys = !sparse;
      return null;
    });
  }

  /** Whether the store's index on {@code sids} is sparse; null when it has none. */
  private Future<Boolean> idsIndexSparse() {
    return calls.guard(mongo.listIndexes(BUCKETS)).map(indexes -> {
      for (Object o : indexes) {
        if (o instanceof JsonObject index && index.getValue("key") instanceof JsonObject key
            && key.fieldNames().equals(Set.of("sids"))) {
          Object sparse = index.getValue("sparse");
          return sparse instanceof Boolean yes ? yes : sparse instanceof Number n && n.doubleValue() != 0;
        }
      }
      return null;
    });
  }

  /**
   * Whether each bucket puts its own key into {@code sids} ({@link #ownKey}): while the store's index is not known to
   * be sparse (one made before 2026-12-08, or not looked at: the data tool's imports), as buckets always did.
   */
  boolean ownKeys() {
    return ownKeys;
  }

  /** {@code <stream>|<seq, 19 digits>}; a read makes ~1,100 of these, so no {@code String.format}. */
  static String key(String stream, long seq) {
    String digits = Long.toString(seq);
    StringBuilder key = new StringBuilder(stream.length() + 20).append(stream).append('|');
    for (int i = digits.length(); i < 19; i++) {
      key.append('0');
    }
    return key.append(digits).toString();
  }

  /**
   * The {@code sids} entry of an event whose id its publisher gave: id first, so that ids given in order (a
   * device's, a client's counter) sit side by side in the index whatever their streams (the embedded store rewrites
   * every index page a commit touches).
   */
  static String idKey(String stream, String id) {
    return id + "|" + stream;
  }

  /**
   * The first {@code sids} entry of a bucket in a store whose index is not sparse ({@link #ownKeys()}): {@code |} and
   * its {@code _id}, which no {@link #idKey} can be (an id is never empty and never holds a {@code |}). It keeps a
   * bucket's {@code sids} there, where the index would hold a bucket without any as one key (null) shared by every
   * such bucket. A sparse index leaves such a bucket out, so there a bucket holds {@code sids} only when an event of
   * it carries an id its publisher gave: at one event a bucket (64 streams on 64 publishers) the own keys were a key
   * in the index for every event; without them an insert loop on the embedded store took ~13% less CPU
   * (bench/README.md).
   */
  static String ownKey(String bucketId) {
    return "|" + bucketId;
  }

  /** Every event's id given by its publisher: what buckets written before 2026-12-07 indexed, and imports still do. */
  static final Predicate<JsonObject> EVERY_ID = event -> true;

  /** {@link #bucket(String, List, Predicate, boolean)} with every id indexed, and the bucket's own key. */
  static JsonObject bucket(String stream, List<JsonObject> events) {
    return bucket(stream, events, EVERY_ID, true);
  }

  /**
   * The bucket document of consecutive events of one stream ({@code {stream, seq, id, type, data, by, ts}}),
   * in seq order; its {@code sids} are its own key when {@code ownKey} ({@link #ownKeys()}) and the keys of the
   * events {@code idGiven} says their publisher gave an id ({@link EventLog#insert}), and it has no {@code sids} when
   * that is none. Appends write it straight as BSON ({@link RawBuckets#writeBucket}, the same bytes).
   */
  static JsonObject bucket(String stream, List<JsonObject> events, Predicate<JsonObject> idGiven, boolean ownKey) {
    JsonArray stored = new JsonArray();
    long first = events.get(0).getLong("seq");
    String id = key(stream, first);
    JsonArray sids = new JsonArray();
    if (ownKey) {
      sids.add(ownKey(id));
    }
    for (JsonObject event : events) {
      stored.add(new JsonObject().put("seq", event.getLong("seq")).put("id", event.getString("id"))
        .put("type", event.getString("type")).put("data", event.getJsonObject("data"))
        .put("by", event.getString("by")).put("ts", event.getString("ts")));
      if (idGiven.test(event)) {
        sids.add(idKey(stream, event.getString("id")));
      }
    }
    JsonObject newest = events.get(events.size() - 1);
    JsonObject bucket = new JsonObject().put("_id", id).put("stream", stream)
      .put("first", first).put("last", newest.getLong("seq")).put("ts", newest.getString("ts"));
    if (!sids.isEmpty()) {
      bucket.put("sids", sids);
    }
    return bucket.put("events", stored);
  }

  /**
   * The highest seq a stream was given, 0 for a stream never written. Seqs have no gaps from the oldest one
   * still held ({@link StreamBounds}), so it is found by probing which seqs exist: that one plus powers of
   * two first, then ever narrower evenly spaced samples; every bucket found also tells where it ends. A
   * stream whose every event was dropped ends just before its {@code firstSeq}: seqs are never given twice. No
   * bucket holding {@code firstSeq} means no later one either (buckets are contiguous), so a stream never written
   * costs a one-key lookup.
   */
  @Override
  public Future<Long> lastSeq(String stream) {
    return bounds.get(stream).compose(held -> probe(stream, held.firstSeq()));
  }

  /**
   * First whether any bucket holds {@code base} (one key when it is 1: the whole probe of a stream never written),
   * then {@code base} plus powers of two.
   */
  private Future<Long> probe(String stream, long base) {
    return buckets(stream, List.of(base)).compose(first -> {
      if (highest(first) < base) {
        return Future.succeededFuture(base - 1);
      }
      List<Long> probes = new ArrayList<>();
      for (long p = 1; p > 0 && p <= Long.MAX_VALUE / 2 && base - 1 <= Long.MAX_VALUE - p; p *= 2) {
        probes.add(base - 1 + p);
      }
      return buckets(stream, probes).compose(found -> {
        long lo = Math.max(highest(first), highest(found));
        return narrow(stream, lo, probes.stream().filter(p -> p > lo).min(Long::compare).orElse(Long.MAX_VALUE));
      });
    });
  }

  /** The last seq, knowing that {@code lo} exists and {@code hi} does not. */
  private Future<Long> narrow(String stream, long lo, long hi) {
    if (hi - lo <= 1) {
      return Future.succeededFuture(lo);
    }
    List<Long> probes = new ArrayList<>();
    long step = Math.max(1, (hi - lo) / PROBES);
    for (long s = lo + step; s < hi; s += step) {
      probes.add(s);
    }
    return buckets(stream, probes).compose(found -> {
      long newLo = Math.max(lo, highest(found));
      long newHi = probes.stream().filter(p -> p > newLo).min(Long::compare).orElse(hi);
      return narrow(stream, newLo, newHi);
    });
  }

  private static long highest(List<JsonObject> buckets) {
    return buckets.stream().mapToLong(b -> b.getLong("last")).max().orElse(0);
  }

  /**
   * The {@code _id}s of the buckets that may hold a seq from {@code from} to {@code to}: those starting from a bucket's
   * length before {@code from} up to {@code to}.
   */
  private static Set<String> keysHolding(String stream, long from, long to) {
    Set<String> keys = new HashSet<>();
    for (long s = Math.max(1, from - MAX_BUCKET_EVENTS + 1); s <= to; s++) {
      keys.add(key(stream, s));
    }
    return keys;
  }

  /** The buckets that may hold any of these seqs, without events. */
  private Future<List<JsonObject>> buckets(String stream, List<Long> seqs) {
    Set<String> keys = new HashSet<>();
    seqs.forEach(seq -> keys.addAll(keysHolding(stream, seq, seq)));
    FindOptions options = new FindOptions().setFields(new JsonObject().put("_id", 0).put("first", 1).put("last", 1));
    return calls.guard(mongo.findWithOptions(BUCKETS, byIds(keys), options));
  }

  /**
   * The stored events at these seqs of their streams, whole: one query on {@code _id}, for the buckets that may hold
   * them. Seqs close together (a write's) ask for the keys of their run once; seqs far apart (ids a publisher gave
   * back, carrying any seq) ask for a bucket's length of keys each, never for the keys between them.
   */
  @Override
  public Future<List<JsonObject>> atSeqs(Map<String, ? extends Collection<Long>> seqsByStream) {
    Set<String> keys = new HashSet<>();
    seqsByStream.forEach((stream, seqs) -> {
      long from = -1;
      long to = -1;
      for (long seq : new TreeSet<>(seqs)) {
        if (from > 0 && seq - to > MAX_BUCKET_EVENTS) {
          keys.addAll(keysHolding(stream, from, to));
          from = -1;
        }
        if (from < 0) {
          from = seq;
        }
        to = seq;
      }
      if (from > 0) {
        keys.addAll(keysHolding(stream, from, to));
      }
    });
    if (keys.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return eventsOf(byIds(keys), seqsByStream, event -> event.getLong("seq"));
  }

  /**
   * The stored events that carry one of these ids in their stream, whole: one query on the {@code sids} index, which
   * holds the ids their publishers gave (and, in buckets written before 2026-12-07, every id).
   */
  @Override
  public Future<List<JsonObject>> withIds(Map<String, ? extends Collection<String>> idsByStream) {
    Set<String> keys = new HashSet<>();
    idsByStream.forEach((stream, ids) -> ids.forEach(id -> keys.add(idKey(stream, id))));
    JsonObject query = new JsonObject().put("sids", new JsonObject().put("$in", new JsonArray(new ArrayList<>(keys))));
    return eventsOf(query, idsByStream, event -> event.getString("id"));
  }

  /**
   * The events of the buckets a query finds whose {@code value} (their seq, their id) is one of those asked for in
   * their stream ({@code wanted}), whole.
   */
  private <T> Future<List<JsonObject>> eventsOf(JsonObject query, Map<String, ? extends Collection<T>> wanted,
                                               Function<JsonObject, T> value) {
    FindOptions options = new FindOptions().setFields(new JsonObject().put("_id", 0).put("stream", 1).put("events", 1));
    return calls.guard(mongo.findWithOptions(BUCKETS, query, options)).map(buckets -> {
      List<JsonObject> found = new ArrayList<>();
      for (JsonObject bucket : buckets) {
        for (JsonObject event : events(bucket)) {
          Collection<T> values = wanted.get(event.getString("stream"));
          if (values != null && values.contains(value.apply(event))) {
            found.add(event);
          }
        }
      }
      return found;
    });
  }

  /**
   * Writes events (each {@code {stream, seq, ...}}, a stream's in seq order) as one ordered, journaled
   * bulk write of buckets: done means on disk. Only the ids {@code idGiven} says a publisher gave go into the
   * {@code sids} index.
   */
  @Override
  public Future<Void> insert(List<JsonObject> events, Predicate<JsonObject> idGiven) {
    // a stream's first event: list the stream first, so that retention finds all it has
    Set<String> created = new HashSet<>();
    events.forEach(e -> {
      if (e.getLong("seq") == 1) {
        created.add(e.getString("stream"));
      }
    });
    return bounds.created(created).compose(v -> insertBuckets(events, idGiven));
  }

  private Future<Void> insertBuckets(List<JsonObject> events, Predicate<JsonObject> idGiven) {
    List<RawBuckets.Chunk> inserts = new ArrayList<>();
    Map<String, List<JsonObject>> byStream = new LinkedHashMap<>();
    events.forEach(e -> byStream.computeIfAbsent(e.getString("stream"), s -> new ArrayList<>()).add(e));
    byStream.forEach((stream, list) -> {
      for (int from = 0; from < list.size(); from += MAX_BUCKET_EVENTS) {
        inserts.add(new RawBuckets.Chunk(stream, list.subList(from, Math.min(list.size(), from + MAX_BUCKET_EVENTS)),
          idGiven, ownKeys));
      }
    });
    return calls.guard(raw.insertBuckets(inserts, calls.writes()));
  }

  /**
   * Events of a stream with {@code from <= seq <= to}, in order, at most {@code limit}, and no more once they add up
   * to {@code maxBytes} encoded (the first event always comes, so a reader moves on), each encoded once as readers
   * get it ({@link EventPage}).
   *
   * <p>Buckets are fetched a span at a time, so a page of large events never loads much more than it returns:
   * the first fetch asks for the keys from {@code from - 127} (the bucket holding {@code from} starts there at
   * the earliest) to {@value #FIRST_SPAN} seqs on; a stream's buckets are contiguous, so the next one starts
   * exactly where the last one read ended, and each later fetch asks from there for as many seqs as the
   * bytes left allow at the size seen so far. When the buckets a fetch found were all of one size, or full ones with
   * smaller ones only first and last (a stream appended in large batches: each split into buckets of
   * {@value #MAX_BUCKET_EVENTS} and a smaller last one), the next one asks only for the keys where buckets of
   * that size would start ({@link #stride}); its first key is where the next bucket starts, so it always moves on,
   * and the fetch after a guess that missed asks for every seq again.
   *
   * <p>Where the last read of a stream stopped is kept ({@link #recent}: a bucket, its bounds, the stride its fetch
   * found), so a reader going on from there (a catch-up, page after page) asks for that bucket's key and for the keys
   * after it, not for the {@value #MAX_BUCKET_EVENTS} before {@code from}; if that bucket is gone (a cut since),
   * the read finds nothing there and asks again as if nothing were kept.
   */
  Future<EventPage> read(String stream, long from, long to, int limit, long maxBytes) {
    long end = Math.min(to, from + limit - 1);
    EventPage page = new EventPage(stream, from, end, maxBytes);
    if (end < from) {
      return Future.succeededFuture(page);
    }
    long last = Math.min(end, from + FIRST_SPAN - 1);
    Bucket near = recent.get(stream);
    long earliest = Math.max(1, from - MAX_BUCKET_EVENTS + 1); // where the bucket holding from starts at the earliest
    if (near == null || from < near.first() || from > near.last() + 1) {
      return fetch(stream, keys(stream, earliest, last, 1), page);
    }
    Set<String> keys = keys(stream, near.last() + 1, last, near.stride());
    if (from <= near.last()) {
      keys.add(key(stream, near.first()));
    }
    return fetch(stream, keys, page).compose(read -> {
      if (!read.isEmpty()) {
        return Future.succeededFuture(read);
      }
      recent.remove(stream); // that bucket is gone (a cut since): look for where from is as if nothing was known
      return fetch(stream, keys(stream, earliest, last, 1), new EventPage(stream, from, end, maxBytes));
    });
  }

  /** The keys {@code firstKey}, {@code firstKey + stride}, … up to {@code lastKey}. */
  private static Set<String> keys(String stream, long firstKey, long lastKey, long stride) {
    Set<String> keys = new HashSet<>();
    for (long s = firstKey; s <= lastKey; s += stride) {
      keys.add(key(stream, s));
    }
    return keys;
  }

  /** Fetches the buckets of these keys and offers their events to the page, then the buckets after them while it is open. */
  private Future<EventPage> fetch(String stream, Set<String> keys, EventPage page) {
    return calls.guard(raw.find(keys, "first", "last", "events")).compose(buckets -> {
      List<RawBsonDocument> sorted = new ArrayList<>(buckets);
      sorted.sort(Comparator.comparingLong(b -> b.get("first").asNumber().longValue()));
      long stride = stride(sorted);
      long before = page.next();
      for (RawBsonDocument bucket : sorted) {
        if (!offerEvents(bucket, page)) {
          remember(stream, bucket, stride);
          return Future.succeededFuture(page);
        }
      }
      if (!sorted.isEmpty()) {
        remember(stream, sorted.get(sorted.size() - 1), stride);
      }
      if (!page.open() || page.next() == before) {
        return Future.succeededFuture(page); // all of it, or nothing more where it would be
      }
      return fetch(stream, keys(stream, page.next(), page.next() + page.span() - 1, stride), page);
    });
  }

  /**
   * Offers the bucket's events to the page in order, read from its bytes ({@link BsonJson#array}); false once the
   * page takes no more. Bytes it cannot read so are read again through the driver's own reader, from the bucket's
   * first event (the page passes over those it has).
   */
  static boolean offerEvents(RawBsonDocument bucket, EventPage page) {
    try {
      BsonJson events = BsonJson.array(bucket, EVENTS_FIELD);
      if (events != null) {
        while (events.next()) {
          if (!page.offer(events.element())) {
            return false;
          }
        }
        return true;
      }
    } catch (BsonJson.NotJson e) {
      // as the driver reads them, below
    }
    for (BsonValue stored : bucket.getArray("events")) {
      if (!page.offer((RawBsonDocument) stored)) {
        return false;
      }
    }
    return true;
  }

  /** Keeps where a read stopped: a bucket of the stream, and the stride its fetch found. */
  private void remember(String stream, RawBsonDocument bucket, long stride) {
    recent.put(stream, new Bucket(bucket.get("first").asNumber().longValue(), bucket.get("last").asNumber().longValue(), stride));
  }

  /**
   * The size of the buckets found, if there were several and all of one size; or a full bucket's, if one was full
   * and every one but the first and the last was (a batch larger than a bucket is stored as full buckets and a
   * last, smaller one, and a read may start inside any); else 1 (every seq).
   */
  static long stride(List<RawBsonDocument> buckets) {
    long size = 0;
    boolean oneSize = true;
    boolean full = false;
    boolean fullBetween = true;
    for (int i = 0; i < buckets.size(); i++) {
      RawBsonDocument bucket = buckets.get(i);
      long each = bucket.get("last").asNumber().longValue() - bucket.get("first").asNumber().longValue() + 1;
      if (each < 1) {
        return 1;
      }
      oneSize &= size == 0 || each == size;
      size = each;
      full |= each == MAX_BUCKET_EVENTS;
      fullBetween &= each == MAX_BUCKET_EVENTS || i == 0 || i == buckets.size() - 1;
    }
    if (buckets.size() < 2) {
      return 1;
    }
    return oneSize ? size : full && fullBetween ? MAX_BUCKET_EVENTS : 1;
  }

  /**
   * The buckets of a stream that start from {@code from - 127} to {@code from + span - 1}, by {@code first}, each as
   * {@code {_id, first, last, ts}}: where retention looks for what has expired. A bucket written before buckets
   * had {@code ts} is read whole once, to take its newest event's.
   */
  Future<List<JsonObject>> heads(String stream, long from, int span) {
    Set<String> keys = keysHolding(stream, from, from + span - 1);
    FindOptions options = new FindOptions().setFields(new JsonObject().put("first", 1).put("last", 1).put("ts", 1));
    return calls.guard(mongo.findWithOptions(BUCKETS, byIds(keys), options)).compose(found -> {
      List<String> untimed = found.stream().filter(b -> b.getString("ts") == null).map(b -> b.getString("_id")).toList();
      Future<List<JsonObject>> timed = untimed.isEmpty() ? Future.succeededFuture(List.of())
        : calls.guard(mongo.find(BUCKETS, byIds(untimed))).map(whole -> whole.stream().map(b -> {
          JsonArray list = b.getJsonArray("events");
          return new JsonObject().put("_id", b.getString("_id")).put("first", b.getLong("first")).put("last", b.getLong("last"))
            .put("ts", list.getJsonObject(list.size() - 1).getString("ts"));
        }).toList());
      return timed.map(filled -> {
        List<JsonObject> heads = new ArrayList<>(found.stream().filter(b -> b.getString("ts") != null).toList());
        heads.addAll(filled);
        heads.sort(Comparator.comparingLong(b -> b.getLong("first")));
        return heads;
      });
    });
  }

  /**
   * Deletes the buckets of a stream that hold only seqs below {@code cut}, looking from {@code floor} (the lowest seq
   * whose bucket may be left) a {@value #SPAN}-seq span at a time; a bucket holding {@code cut} or later stays (its
   * older events are not read: reads start at {@code firstSeq}). Answers how many buckets it deleted.
   */
  Future<Integer> drop(String stream, long floor, long cut) {
    if (floor >= cut) {
      return Future.succeededFuture(0);
    }
    long spanEnd = Math.min(cut - 1, floor + SPAN - 1);
    FindOptions options = new FindOptions().setFields(new JsonObject().put("last", 1));
    return calls.guard(mongo.findWithOptions(BUCKETS, byIds(keysHolding(stream, floor, spanEnd)), options)).compose(found -> {
      List<String> gone = found.stream().filter(b -> b.getLong("last") < cut).map(b -> b.getString("_id")).toList();
      Future<Integer> deleted = gone.isEmpty() ? Future.succeededFuture(0)
        : calls.guard(mongo.removeDocumentsWithOptions(BUCKETS, byIds(gone), calls.writes())).map(r -> gone.size());
      return deleted.compose(n -> drop(stream, spanEnd + 1, cut).map(more -> n + more));
    });
  }

  /**
   * Redacts the events by {@code author} in a stream's buckets that hold seqs from {@code from} to {@code to}, a
   * {@value #SPAN}-seq span at a time: each bucket that holds one is written again whole (seqs, ids, types and times
   * kept; {@code data} {@code {"redacted": true}}, {@code by} {@code replacement}), never created again if retention
   * deleted it meanwhile. Appends only ever add buckets, so they go on beside it. Answers how many it redacted.
   */
  Future<Long> redact(String stream, long from, long to, String author, String replacement) {
    if (from > to) {
      return Future.succeededFuture(0L);
    }
    long spanEnd = Math.min(to, from + SPAN - 1);
    return calls.guard(mongo.find(BUCKETS, byIds(keysHolding(stream, from, spanEnd)))).compose(buckets -> {
      List<BulkOperation> rewrites = new ArrayList<>();
      long redacted = 0;
      for (JsonObject bucket : buckets) {
        boolean changed = false;
        for (Object o : bucket.getJsonArray("events")) {
          JsonObject event = (JsonObject) o;
          if (author.equals(event.getString("by"))) {
            event.put("data", new JsonObject().put("redacted", true)).put("by", replacement);
            changed = true;
            redacted++;
          }
        }
        if (changed) {
          rewrites.add(BulkOperation.createReplace(new JsonObject().put("_id", bucket.getString("_id")), bucket, false));
        }
      }
      long count = redacted;
      Future<Void> written = rewrites.isEmpty() ? Future.succeededFuture()
        : calls.guard(mongo.bulkWriteWithOptions(BUCKETS, rewrites, new BulkWriteOptions(true).setWriteOption(calls.writes()))).mapEmpty();
      return written.compose(v -> redact(stream, spanEnd + 1, to, author, replacement)).map(more -> count + more);
    });
  }

  /** A bucket's events as readers see them: each with its stream. */
  private static List<JsonObject> events(JsonObject bucket) {
    String stream = bucket.getString("stream");
    List<JsonObject> events = new ArrayList<>();
    for (Object o : bucket.getJsonArray("events")) {
      JsonObject stored = (JsonObject) o;
      events.add(new JsonObject().put("stream", stream).put("seq", stored.getLong("seq")).put("id", stored.getString("id"))
        .put("type", stored.getString("type")).put("data", stored.getJsonObject("data"))
        .put("by", stored.getString("by")).put("ts", stored.getString("ts")));
    }
    return events;
  }

  private static JsonObject byIds(Collection<String> keys) {
    return new JsonObject().put("_id", new JsonObject().put("$in", new JsonArray(new ArrayList<>(keys))));
  }

  /**
   * The store's identity: a random id kept in the {@code meta} collection, made by the first storage
   * instance that asks. Storage instances compare it before sharing partitions, so nodes that were
   * pointed at different stores never split one stream between them.
   */
  Future<String> storeId() {
    JsonObject key = new JsonObject().put("_id", "store");
    return calls.guard(mongo.findOne(META, key, null)).compose(found -> {
      if (found != null) {
        return Future.succeededFuture(found.getString("storeId"));
      }
      return calls.guard(mongo.insert(META, key.copy().put("storeId", UUID.randomUUID().toString())))
        .recover(failure -> Future.succeededFuture()) // another instance made it first
        .compose(v -> calls.guard(mongo.findOne(META, key, null)))
        .map(doc -> doc.getString("storeId"));
    });
  }

  Future<Void> ping() {
    return calls.guard(mongo.runCommand("ping", new JsonObject().put("ping", 1))).mapEmpty();
  }

  /** A stored bucket's bounds, and the stride of the fetch that found it ({@link #stride}). */
  private record Bucket(long first, long last, long stride) {
  }

  /** A map of at most {@code max} entries, dropping the least recently read. */
  private static final class Recent<K, V> extends LinkedHashMap<K, V> {

    private static final long serialVersionUID = 1L;
    private final int max;

    Recent(int max) {
      super(16, 0.75f, true);
      this.max = max;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
      return size() > max;
    }
  }
}
