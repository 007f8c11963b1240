package io.hubbub.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a device may send as a reading (PROTOCOL.md, HTTP API) and the {@code READING} event it becomes. The
 * same rules hold for a {@code READING} published straight to a {@code sensor.*} stream, whatever the route.
 */
public final class Readings {

  public static final Pattern KIND = Pattern.compile("[a-z][a-z0-9_]{0,31}");
  public static final String KIND_RULE = "1 to 32 lowercase letters, digits or '_', starting with a letter (e.g. temperature)";
  static final int MAX_UNIT = 16;
  static final long MAX_FUTURE_MS = 5 * 60_000;
  private static final Set<String> FIELDS = Set.of("kind", "value", "unit", "at", "id");
  private static final Set<String> DATA_FIELDS = Set.of("kind", "value", "unit", "at");

  private Readings() {
  }

  /** The events for a batch of readings, all checked first: the first bad one fails the whole batch with 400. */
  public static JsonArray events(Object readings, int maxBatch, long now) {
    if (!(readings instanceof JsonArray list) || list.isEmpty()) {
      throw Failures.badRequest("'readings' must be a reading or a non-empty array of them");
    }
    if (list.size() > maxBatch) {
      throw Failures.of(Failures.TOO_LARGE, list.size() + " readings in one request, more than " + maxBatch);
    }
    JsonArray events = new JsonArray();
    for (int i = 0; i < list.size(); i++) {
      events.add(event(list.getValue(i), list.size() == 1 ? "reading" : "reading [" + i + "]", now));
    }
    return events;
  }

  /**
   * Checks the {@code data} of a {@code READING} event a client publishes itself: exactly what {@code /readings}
   * would have stored ({@code kind}, {@code value}, {@code unit?}, and {@code at} as UTC ISO-8601 within the
   * same bounds), so no route can pin a device's last reading in 2999 or slip past the reading rules.
   */
  public static void checkEventData(JsonObject data, String where, long now) {
    for (String field : data.fieldNames()) {
      if (!DATA_FIELDS.contains(field)) {
        throw Failures.badRequest(where + ": a READING's data has no field '" + EventRules.printable(field)
          + "' (it is {kind, value, unit?, at})");
      }
    }
    kind(data, where);
    value(data, where);
    unit(data, where);
    if (!(data.getValue("at") instanceof String at)) {
      throw Failures.badRequest(where + ": a READING's 'at' is required, a UTC time such as 2026-11-22T18:00:00.000Z");
    }
    try {
      bounded(Instant.ofEpochMilli(IsoTimes.instantMillis(at)), where, now);
    } catch (DateTimeParseException e) {
      throw Failures.badRequest(where + ": a READING's 'at' must be a UTC time such as 2026-11-22T18:00:00.000Z");
    }
  }

  private static JsonObject event(Object value, String where, long now) {
    if (!(value instanceof JsonObject reading)) {
      throw Failures.badRequest(where + " must be a JSON object {kind, value, unit?, at?}");
    }
    for (String field : reading.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw Failures.badRequest(where + ": unknown field '" + EventRules.printable(field) + "'");
      }
    }
    JsonObject data = new JsonObject().put("kind", kind(reading, where)).put("value", value(reading, where));
    String unit = unit(reading, where);
    if (unit != null) {
      data.put("unit", unit);
    }
    data.put("at", IsoTimes.format(at(reading.getValue("at"), where, now)));
    JsonObject event = new JsonObject().put("type", SensorsBus.READING).put("data", data);
    if (reading.containsKey("id")) {
      if (!(reading.getValue("id") instanceof String id) || !EventRules.isId(id)) {
        throw Failures.badRequest(where + ": 'id' must be " + EventRules.ID_RULE);
      }
      event.put("id", id);
    }
    return event;
  }

  private static String kind(JsonObject reading, String where) {
    if (!(reading.getValue("kind") instanceof String kind) || !KIND.matcher(kind).matches()) {
      throw Failures.badRequest(where + ": 'kind' must be 1 to 32 lower-case letters, digits or '_', starting with a letter");
    }
    return kind;
  }

  private static double value(JsonObject reading, String where) {
    Object number = reading.getValue("value");
    if (!(number instanceof Number n) || number instanceof java.math.BigDecimal || number instanceof java.math.BigInteger
      || !Double.isFinite(n.doubleValue())) {
      throw Failures.badRequest(where + ": 'value' must be a finite number");
    }
    return n.doubleValue();
  }

  private static String unit(JsonObject reading, String where) {
    if (!reading.containsKey("unit")) {
      return null;
    }
    if (!(reading.getValue("unit") instanceof String unit) || unit.length() > MAX_UNIT) {
      throw Failures.badRequest(where + ": 'unit' must be a string of at most " + MAX_UNIT + " characters");
    }
    return unit;
  }

  private static Instant at(Object value, String where, long now) {
    if (value == null) {
      return Instant.ofEpochMilli(now);
    }
    if (!(value instanceof String text)) {
      throw Failures.badRequest(where + ": 'at' must be an ISO-8601 time such as 2026-11-22T18:00:00Z");
    }
    try {
      return bounded(Instant.ofEpochMilli(IsoTimes.offsetMillis(text)), where, now);
    } catch (DateTimeParseException e) {
      throw Failures.badRequest(where + ": 'at' must be an ISO-8601 time with a zone, such as 2026-11-22T18:00:00Z");
    }
  }

  private static Instant bounded(Instant at, String where, long now) {
    if (at.toEpochMilli() > now + MAX_FUTURE_MS) {
      throw Failures.badRequest(where + ": 'at' is more than 5 minutes in the future");
    }
    if (at.getEpochSecond() < 0) {
      throw Failures.badRequest(where + ": 'at' is before 1970");
    }
    return at;
  }
}
