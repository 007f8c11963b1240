package io.hubbub.bus;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * The sensors verticle's conversations. Their replies are the HTTP API's bodies, passed on as they are. Readings
 * do not pass through it: the gateway appends them to the device's stream ({@link Readings}), which it follows.
 *
 * <ul>
 *   <li>{@link #AGGREGATES}: an {@link AggregatesQuery} → {@code {deviceId, kind, window, buckets: [{start, count, min, max, avg}]}}</li>
 *   <li>{@link #STATUS}: a {@link Device} → {@code {deviceId, appliedSeq, last: {<kind>: {value, unit, at, seq}}, openAlerts: [...], rules: [...]}}</li>
 * </ul>
 */
public final class SensorsBus {

  public static final Contract<AggregatesQuery, JsonObject> AGGREGATES =
    Contract.jsonReply("sensors.aggregates", AggregatesQuery::toJson, AggregatesQuery::fromJson);
  public static final Contract<Device, JsonObject> STATUS = Contract.jsonReply("sensors.status", Device::toJson, Device::fromJson);
  /**
   * A device's data, dropped: its stream's events, its aggregates and its checkpoint (after its key was revoked, so
   * nothing new comes) → {@code {events, aggregates}}: how many of each it deleted.
   */
  public static final Contract<Device, JsonObject> PURGE = Contract.jsonReply("sensors.purge", Device::toJson, Device::fromJson);

  /**
   * Devices are spread over this many partitions (by their id's hash); each is followed by the sensors instance that
   * holds its lock ({@link #LOCK_PREFIX}), which answers {@link #AGGREGATES}, {@link #STATUS} and {@link #PURGE} for
   * its devices at the partition's address ({@link #aggregates}, {@link #status}, {@link #purge}): it holds the
   * buckets folded and not written yet.
   */
  public static final int PARTITIONS = 16;
  public static final String LOCK_PREFIX = "hubbub.sensors.partition.";
  public static final String INSTANCES_MAP = "hubbub.sensors.instances";

  public static final String NAMESPACE = "sensor";
  public static final String ALERTS_NAMESPACE = "alerts";
  public static final String READING = "READING";
  public static final String ALERT = "ALERT";
  public static final String RESOLVED = "RESOLVED";
  /** Bucket widths by window name. */
  public static final Map<String, Long> WINDOWS = Map.of("1m", 60_000L, "1h", 3_600_000L);

  private SensorsBus() {
  }

  public static String stream(String deviceId) {
    return NAMESPACE + "." + deviceId;
  }

  public static String alertStream(String deviceId) {
    return ALERTS_NAMESPACE + "." + deviceId;
  }

  /** The partition a device's feed belongs to. */
  public static int partition(String deviceId) {
    return Math.floorMod(deviceId.hashCode(), PARTITIONS);
  }

  /** {@link #AGGREGATES} at the address of the device's partition. */
  public static Contract<AggregatesQuery, JsonObject> aggregates(String deviceId) {
    return aggregates(partition(deviceId));
  }

  /** {@link #AGGREGATES} at a partition's address, answered by the instance that follows it. */
  public static Contract<AggregatesQuery, JsonObject> aggregates(int partition) {
    return AGGREGATES.at(AGGREGATES.address() + "." + partition);
  }

  /** {@link #STATUS} at the address of the device's partition. */
  public static Contract<Device, JsonObject> status(String deviceId) {
    return status(partition(deviceId));
  }

  /** {@link #STATUS} at a partition's address, answered by the instance that follows it. */
  public static Contract<Device, JsonObject> status(int partition) {
    return STATUS.at(STATUS.address() + "." + partition);
  }

  /** {@link #PURGE} at the address of the device's partition. */
  public static Contract<Device, JsonObject> purge(String deviceId) {
    return purge(partition(deviceId));
  }

  /** {@link #PURGE} at a partition's address, answered by the instance that follows it. */
  public static Contract<Device, JsonObject> purge(int partition) {
    return PURGE.at(PURGE.address() + "." + partition);
  }

  /** One device. */
  public record Device(String deviceId) {
    public JsonObject toJson() {
      return new JsonObject().put("deviceId", deviceId);
    }

    public static Device fromJson(JsonObject body) {
      return new Device(EventRules.key(body, "deviceId"));
    }
  }

  /**
   * A device's aggregates of one kind in one window ({@link #WINDOWS}, default 1m) between two times (null: the
   * window's default span before {@code to}; {@code to} null: now).
   */
  public record AggregatesQuery(String deviceId, String kind, String window, Instant from, Instant to) {
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("deviceId", deviceId).put("kind", kind).put("window", window);
      if (from != null) {
        json.put("from", from.toString());
      }
      return to == null ? json : json.put("to", to.toString());
    }

    /** The query a request (or the HTTP API's query string) makes; 400 names the first bad value. */
    public static AggregatesQuery fromJson(JsonObject body) {
      String device = EventRules.key(body, "deviceId");
      if (!(body.getValue("kind") instanceof String kind) || !Readings.KIND.matcher(kind).matches()) {
        throw Failures.badRequest("'kind' must be " + Readings.KIND_RULE);
      }
      String window = body.getValue("window") instanceof String w ? w : "1m";
      if (!WINDOWS.containsKey(window)) {
        throw Failures.badRequest("'window' must be one of " + WINDOWS.keySet());
      }
      Instant from = time(body, "from");
      Instant to = time(body, "to");
      if (from != null && to != null && from.isAfter(to)) {
        throw Failures.badRequest("'from' is after 'to'");
      }
      return new AggregatesQuery(device, kind, window, from, to);
    }

    private static Instant time(JsonObject body, String field) {
      Object value = body.getValue(field);
      if (value == null) {
        return null;
      }
      try {
        return OffsetDateTime.parse((String) value).toInstant();
      } catch (ClassCastException | DateTimeParseException e) {
        throw Failures.badRequest("'" + field + "' must be an ISO-8601 time such as " + Instant.EPOCH);
      }
    }
  }
}
