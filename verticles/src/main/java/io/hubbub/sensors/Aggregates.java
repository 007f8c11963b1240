package io.hubbub.sensors;

import com.github.benmanes.caffeine.cache.Cache;
import io.hubbub.Caches;
import io.hubbub.bus.Failures;
import io.hubbub.bus.IsoTimes;
import io.hubbub.bus.Readings;
import io.hubbub.bus.SensorsBus;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageRequests;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Per device and kind, 1-minute and 1-hour buckets (count, sum, min, max) kept in storage's
 * {@code aggregates} collection under {@code <device>|<kind>|<window>|<start ms, 13 digits>}, so a query
 * asks for the ids of the buckets in its range: exact lookups in the primary index. Each bucket remembers the last
 * stream seq it took in: readings are applied in seq order, so a bucket skips what it already holds when a feed
 * replays after a restart, and count, sum, min and max do not care in which order readings arrive in time.
 *
 * <p>A fold changes buckets in memory; they are written with their device's checkpoint ({@link #write}, called by
 * {@link Folding} before it writes the checkpoint), so a bucket a device reports into every second is written once
 * per checkpoint, not once per reading. Until then the instance following the device holds the newest state, and
 * answers the device's queries ({@link #query}) from storage with what it has not written laid over. A crash loses
 * only what no checkpoint covers: the next owner replays it from the device's checkpoint.
 */
final class Aggregates {

  static final String COLLECTION = "aggregates";
  private static final int MAX_CACHED = 50_000;
  private static final int MAX_BUCKETS = 10_000;
  /** Bucket ids asked for in one read. */
  private static final int GET_CHUNK = 1_000;

  private final StorageRequests storage;
  /** Buckets as they were written (or read), by id: what a fold starts from. */
  private final Cache<String, JsonObject> cache;
  /** Per device, by id, the buckets folded and not written yet: never evicted, each replaced (not changed) by a fold. */
  private final Map<String, Map<String, JsonObject>> unwritten = new HashMap<>();
  private final HubbubConf.SensorRetention retention;
  private final LongSupplier clock;

  Aggregates(StorageRequests storage, HubbubConf.SensorRetention retention) {
    this(storage, MAX_CACHED, retention, System::currentTimeMillis);
  }

  /**
   * @param maxCached buckets kept in memory at most
   * @param retention how long each window's buckets are kept: a reading older than that is not folded into them
   */
  Aggregates(StorageRequests storage, int maxCached, HubbubConf.SensorRetention retention, LongSupplier clock) {
    this.storage = storage;
    this.cache = Caches.bounded(maxCached);
    this.retention = retention;
    this.clock = clock;
  }

  /**
   * Forgets what is held of these devices' buckets, written or not: their data is being deleted, or another instance
   * follows them (it replays from their checkpoints what was not written).
   */
  void forget(Set<String> devices) {
    cache.asMap().keySet().removeIf(id -> devices.contains(id.substring(0, id.indexOf('|'))));
    unwritten.keySet().removeAll(devices);
  }

  /** The windows, in one order. */
  static final List<String> WINDOWS = SensorsBus.WINDOWS.keySet().stream().sorted().toList();

  /** The start of the window's bucket holding {@code at}. */
  static long start(long at, String window) {
    long width = SensorsBus.WINDOWS.get(window);
    return Math.floorDiv(at, width) * width;
  }

  /** The start of the oldest bucket of a window still kept at {@code now}. */
  long oldestKept(String window, long now) {
    return start(now - Math.min(now, retention.keepMs(window)), window);
  }

  static String id(String device, String kind, String window, long start) {
    if (start < 0) {
      return device + "|" + kind + "|" + window + "|" + String.format(Locale.ROOT, "%013d", start);
    }
    String digits = Long.toString(start);
    return device + "|" + kind + "|" + window + "|" + "0".repeat(Math.max(0, 13 - digits.length())) + digits;
  }

  /** A READING event's reading, its time parsed. */
  record Reading(long seq, String kind, double value, long at) {

    /** The event's reading, or null when the event is not a READING as the ingest path writes it. */
    static Reading of(JsonObject event) {
      if (!SensorsBus.READING.equals(event.getValue("type")) || !(event.getValue("seq") instanceof Number seq)
          || !(event.getValue("data") instanceof JsonObject data) || !(data.getValue("kind") instanceof String kind)
          || !Readings.KIND.matcher(kind).matches() || !(data.getValue("value") instanceof Number value)
          || !(data.getValue("at") instanceof String at)) {
        return null;
      }
      try {
        return new Reading(seq.longValue(), kind, value.doubleValue(), IsoTimes.instantMillis(at));
      } catch (DateTimeParseException e) {
        return null;
      }
    }
  }

  /** {@link #apply(Map)} for one device's events (those that are not readings are skipped). */
  Future<Void> apply(String device, List<JsonObject> events) {
    return apply(Map.of(device, events.stream().map(Reading::of).filter(Objects::nonNull).toList()));
  }

  /**
   * Folds readings (per device, in seq order) into their buckets, in memory: the buckets not held are read first
   * (fails, changing nothing, when that read does). A changed bucket is a new object, so one being written stays as
   * it was sent.
   */
  Future<Void> apply(Map<String, List<Reading>> readingsByDevice) {
    long now = clock.getAsLong();
    // per device, per reading, per window: the bucket's id; null when the reading is too old for that window
    Map<String, List<String>> idsByDevice = new HashMap<>();
    LinkedHashSet<String> distinct = new LinkedHashSet<>();
    readingsByDevice.forEach((device, readings) -> {
      List<String> ids = new ArrayList<>();
      for (Reading reading : readings) {
        for (String window : WINDOWS) {
          long start = start(reading.at(), window);
          ids.add(start < oldestKept(window, now) ? null : id(device, reading.kind(), window, start));
        }
      }
      idsByDevice.put(device, ids);
      distinct.addAll(ids);
    });
    distinct.remove(null);
    Map<String, JsonObject> working = new HashMap<>();
    List<String> missing = new ArrayList<>();
    for (String id : distinct) {
      JsonObject held = held(id);
      if (held != null) {
        working.put(id, held.copy());
      } else {
        missing.add(id);
      }
    }
    return load(missing).map(loaded -> {
      loaded.forEach((id, bucket) -> {
        JsonObject held = held(id); // folded by another apply meanwhile?
        if (held == null) {
          cache.put(id, bucket);
          held = bucket;
        }
        working.put(id, held.copy());
      });
      Map<String, JsonObject> changed = new LinkedHashMap<>();
      readingsByDevice.forEach((device, readings) -> {
        List<String> ids = idsByDevice.get(device);
        int i = 0;
        for (Reading reading : readings) {
          for (int w = 0; w < WINDOWS.size(); w++) {
            String id = ids.get(i++);
            JsonObject bucket = id == null ? null : working.get(id);
            if (bucket != null && fold(bucket, reading.seq(), reading.value())) {
              changed.put(id, bucket);
            }
          }
        }
      });
      changed.forEach((id, bucket) -> unwritten.computeIfAbsent(device(id), d -> new HashMap<>()).put(id, bucket));
      return null;
    });
  }

  /** A bucket's newest state held here: not written yet, else as written; null when neither. */
  private JsonObject held(String id) {
    Map<String, JsonObject> mine = unwritten.get(device(id));
    JsonObject bucket = mine == null ? null : mine.get(id);
    return bucket != null ? bucket : cache.getIfPresent(id);
  }

  private static String device(String id) {
    return id.substring(0, id.indexOf('|'));
  }

  /**
   * Writes what these devices' buckets took since they were last written (in chunks, one after another). A bucket
   * whose window's retention has passed its start meanwhile is dropped instead: retention may have swept past it.
   * Buckets folded again while the write was under way stay to be written.
   */
  Future<Void> write(Collection<String> devices) {
    long now = clock.getAsLong();
    Map<String, JsonObject> sent = new LinkedHashMap<>();
    for (String device : devices) {
      Map<String, JsonObject> mine = unwritten.get(device);
      if (mine != null) {
        mine.forEach((id, bucket) -> {
          if (bucket.getLong("start") >= oldestKept(bucket.getString("window"), now)) {
            sent.put(id, bucket);
          }
        });
      }
    }
    return storage.putAll(COLLECTION, new ArrayList<>(sent.values())).onSuccess(done -> {
      for (String device : devices) {
        Map<String, JsonObject> mine = unwritten.get(device);
        if (mine == null) {
          continue;
        }
        mine.entrySet().removeIf(entry -> {
          JsonObject bucket = entry.getValue();
          if (bucket.equals(sent.get(entry.getKey()))) { // not folded again meanwhile
            cache.put(entry.getKey(), bucket);
            return true;
          }
          return !sent.containsKey(entry.getKey()) && bucket.getLong("start") < oldestKept(bucket.getString("window"), now);
        });
        if (mine.isEmpty()) {
          unwritten.remove(device);
        }
      }
    });
  }

  /** Takes one reading into a bucket unless the bucket already holds its seq; answers whether it did. */
  static boolean fold(JsonObject bucket, long seq, double value) {
    if (seq <= bucket.getLong("seq")) {
      return false;
    }
    bucket.put("count", bucket.getLong("count") + 1)
      .put("sum", bucket.getDouble("sum") + value)
      .put("min", Math.min(bucket.getDouble("min"), value))
      .put("max", Math.max(bucket.getDouble("max"), value))
      .put("seq", seq);
    return true;
  }

  /**
   * Buckets of one device, kind and window whose start lies in [from, to]: as stored, with those not written yet
   * taken from memory. Only the instance following the device has them: it answers its queries.
   */
  Future<JsonObject> query(String device, String kind, String window, long from, long to) {
    long width = SensorsBus.WINDOWS.get(window);
    long first = Math.floorDiv(from, width) * width;
    if ((to - first) / width >= MAX_BUCKETS) {
      throw Failures.badRequest("that range holds more than " + MAX_BUCKETS + " " + window + " buckets: narrow 'from'/'to'");
    }
    JsonArray ids = new JsonArray();
    for (long start = first; start <= to; start += width) {
      ids.add(id(device, kind, window, start));
    }
    return storage.request(StorageBus.DOC_GET, StorageBus.docGet(COLLECTION, ids))
      .map(stored -> {
        Map<String, JsonObject> found = new HashMap<>();
        stored.forEach(bucket -> found.put(bucket.getString("_id"), bucket));
        found.putAll(unwritten.getOrDefault(device, Map.of())); // only the ids asked for are taken below
        return ids.stream().map(found::get).filter(Objects::nonNull).toList();
      })
      .map(found -> new JsonObject().put("deviceId", device).put("kind", kind).put("window", window)
        .put("buckets", new JsonArray(found.stream().map(b -> new JsonObject()
          .put("start", Instant.ofEpochMilli(b.getLong("start")).toString())
          .put("count", b.getLong("count"))
          .put("min", b.getDouble("min"))
          .put("max", b.getDouble("max"))
          .put("avg", b.getDouble("sum") / b.getLong("count"))).toList())));
  }

  /** The stored state of these buckets (empty ones for those not stored yet), read by their ids in chunks. */
  private Future<Map<String, JsonObject>> load(List<String> missing) {
    Map<String, JsonObject> loaded = new HashMap<>();
    List<Future<List<JsonObject>>> gets = new ArrayList<>();
    for (int from = 0; from < missing.size(); from += GET_CHUNK) {
      JsonArray ids = new JsonArray(new ArrayList<>(missing.subList(from, Math.min(missing.size(), from + GET_CHUNK))));
      gets.add(storage.request(StorageBus.DOC_GET, StorageBus.docGet(COLLECTION, ids)));
    }
    return Future.all(gets).map(all -> {
      gets.forEach(found -> found.result().forEach(bucket -> loaded.put(bucket.getString("_id"), bucket)));
      missing.forEach(id -> loaded.computeIfAbsent(id, Aggregates::empty));
      return loaded;
    });
  }

  private static JsonObject empty(String id) {
    String[] parts = id.split("\\|", -1);
    return new JsonObject().put("_id", id).put("device", parts[0]).put("kind", parts[1]).put("window", parts[2])
      .put("start", Long.parseLong(parts[3])).put("count", 0L).put("sum", 0.0)
      .put("min", Double.MAX_VALUE).put("max", -Double.MAX_VALUE).put("seq", 0L);
  }
}
