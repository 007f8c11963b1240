package io.hubbub.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * The sensors verticle's conversations.
 *
 * <ul>
 *   <li>{@link #INGEST} {@code {deviceId, readings: [{kind, value, unit?, at?, id?}]}} → {@code {results: [acks]}}:
 *       all or nothing, one append of {@code READING} events to {@code sensor.<deviceId>}; 400 names the first bad reading</li>
 *   <li>{@link #AGGREGATES} {@code {deviceId, kind, window: "1m"|"1h", from?, to?}} →
 *       {@code {deviceId, kind, window, buckets: [{start, count, min, max, avg}]}}</li>
 *   <li>{@link #STATUS} {@code {deviceId}} → {@code {deviceId, appliedSeq, last: {<kind>: {value, unit, at, seq}}, openAlerts: [...]}}</li>
 * </ul>
 */
public final class SensorsBus {

  public static final String INGEST = "sensors.ingest";
  public static final String AGGREGATES = "sensors.aggregates";
  public static final String STATUS = "sensors.status";

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

  public static JsonObject ingest(String deviceId, JsonArray readings) {
    return new JsonObject().put("deviceId", deviceId).put("readings", readings);
  }
}
