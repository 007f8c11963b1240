package io.hubbub.sensors;

import io.hubbub.bus.EventRules;
import io.hubbub.bus.Failures;
import io.hubbub.bus.SensorsBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.regex.Pattern;

/** What a device may send as a reading (PROTOCOL.md, HTTP API) and the READING event it becomes. */
final class Readings {

  static final Pattern KIND = Pattern.compile("[a-z][a-z0-9_]{0,31}");
  static final int MAX_UNIT = 16;
  static final long MAX_FUTURE_MS = 5 * 60_000;
  private static final Set<String> FIELDS = Set.of("kind", "value", "unit", "at", "id");

  private Readings() {
  }

  /** The events for a batch of readings, all checked first: the first bad one fails the whole batch with 400. */
  static JsonArray events(Object readings, int maxBatch, long now) {
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

  private static JsonObject event(Object value, String where, long now) {
    if (!(value instanceof JsonObject reading)) {
      throw Failures.badRequest(where + " must be a JSON object {kind, value, unit?, at?}");
    }
    for (String field : reading.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw Failures.badRequest(where + ": unknown field '" + EventRules.printable(field) + "'");
      }
    }
    if (!(reading.getValue("kind") instanceof String kind) || !KIND.matcher(kind).matches()) {
      throw Failures.badRequest(where + ": 'kind' must match " + KIND.pattern());
    }
    Object number = reading.getValue("value");
    if (!(number instanceof Number n) || number instanceof java.math.BigDecimal || number instanceof java.math.BigInteger
      || !Double.isFinite(n.doubleValue())) {
      throw Failures.badRequest(where + ": 'value' must be a finite number");
    }
    JsonObject data = new JsonObject().put("kind", kind).put("value", n.doubleValue());
    if (reading.containsKey("unit")) {
      if (!(reading.getValue("unit") instanceof String unit) || unit.length() > MAX_UNIT) {
        throw Failures.badRequest(where + ": 'unit' must be a string of at most " + MAX_UNIT + " characters");
      }
      data.put("unit", unit);
    }
    data.put("at", at(reading.getValue("at"), where, now).toString());
    JsonObject event = new JsonObject().put("type", SensorsBus.READING).put("data", data);
    if (reading.containsKey("id")) {
      if (!(reading.getValue("id") instanceof String id) || !EventRules.ID.matcher(id).matches()) {
        throw Failures.badRequest(where + ": 'id' must match " + EventRules.ID.pattern());
      }
      event.put("id", id);
    }
    return event;
  }

  private static Instant at(Object value, String where, long now) {
    if (value == null) {
      return Instant.ofEpochMilli(now);
    }
    if (!(value instanceof String text)) {
      throw Failures.badRequest(where + ": 'at' must be an ISO-8601 time such as 2026-11-22T18:00:00Z");
    }
    Instant at;
    try {
      at = OffsetDateTime.parse(text).toInstant().truncatedTo(ChronoUnit.MILLIS);
    } catch (DateTimeParseException e) {
      throw Failures.badRequest(where + ": 'at' must be an ISO-8601 time with a zone, such as 2026-11-22T18:00:00Z");
    }
    if (at.toEpochMilli() > now + MAX_FUTURE_MS) {
      throw Failures.badRequest(where + ": 'at' is more than 5 minutes in the future");
    }
    if (at.getEpochSecond() < 0) {
      throw Failures.badRequest(where + ": 'at' is before 1970");
    }
    return at;
  }
}
