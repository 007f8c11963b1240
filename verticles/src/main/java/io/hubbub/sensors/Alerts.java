package io.hubbub.sensors;

import io.hubbub.bus.Caller;
import io.hubbub.bus.IsoTimes;
import io.hubbub.bus.SensorsBus;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The conf's alert rules, e.g. {@code {"kind": "temperature", "above": 30, "forSeconds": 60, "hysteresis": 1}}:
 * an {@code ALERT} once a device's readings of that kind have broken the threshold for that long (by the
 * readings' own times), one {@code RESOLVED} once a reading is back past the threshold by the hysteresis.
 * At most one open alert per device and rule. Event ids come from the rule and the reading's seq, so a
 * feed that replays after a crash cannot raise the same alert twice.
 */
final class Alerts {

  record Rule(int index, String kind, Double above, Double below, long forMs, double hysteresis) {

    boolean broken(double value) {
      return above != null ? value > above : value < below;
    }

    boolean cleared(double value) {
      return above != null ? value <= above - hysteresis : value >= below + hysteresis;
    }

    String condition() {
      return above != null ? "above " + above : "below " + below;
    }
  }

  private final List<Rule> rules = new ArrayList<>();

  Alerts(List<HubbubConf.AlertRule> conf) {
    for (int i = 0; i < conf.size(); i++) {
      HubbubConf.AlertRule r = conf.get(i);
      rules.add(new Rule(i, r.kind(), r.above(), r.below(), r.forSeconds() * 1_000L, r.hysteresis()));
    }
  }

  /**
   * The rules for these kinds, as a dashboard draws them: {@code [{rule, kind, above | below, forSeconds, hysteresis}]}.
   */
  List<JsonObject> rulesFor(Set<String> kinds) {
    List<JsonObject> found = new ArrayList<>();
    for (Rule rule : rules) {
      if (kinds.contains(rule.kind())) {
        JsonObject json = new JsonObject().put("rule", rule.index()).put("kind", rule.kind());
        if (rule.above() != null) {
          json.put("above", rule.above());
        } else {
          json.put("below", rule.below());
        }
        found.add(json.put("forSeconds", rule.forMs() / 1_000).put("hysteresis", rule.hysteresis()));
      }
    }
    return found;
  }

  /**
   * Applies one reading to a device's alert state ({@code {"r<index>": {since, open}}}: each entry of the reading's
   * rules replaced by a changed copy) and answers the events to append to {@code alerts.<device>}.
   */
  List<JsonObject> evaluate(JsonObject state, String device, long seq, String kind, double value, long at) {
    List<JsonObject> events = new ArrayList<>();
    for (Rule rule : rules) {
      if (!rule.kind().equals(kind)) {
        continue;
      }
      // a new object, never the held one changed: a device's state is shared with the checkpoint being written
      JsonObject held = state.getJsonObject("r" + rule.index());
      JsonObject s = held == null ? new JsonObject().put("open", false) : held.copy();
      state.put("r" + rule.index(), s);
      boolean open = s.getBoolean("open");
      if (rule.broken(value)) {
        Long since = s.getLong("since");
        if (since == null) {
          since = at;
          s.put("since", at);
        }
        if (!open && at - since >= rule.forMs()) {
          s.put("open", true).put("openedSeq", seq);
          JsonObject alert = event(SensorsBus.ALERT, "alert-r" + rule.index() + "-" + seq, rule, device, value, at);
          alert.getJsonObject("data").put("since", IsoTimes.format(since));
          events.add(alert);
        }
      } else {
        s.remove("since");
        if (open && rule.cleared(value)) {
          s.put("open", false).remove("openedSeq");
          events.add(event(SensorsBus.RESOLVED, "resolved-r" + rule.index() + "-" + seq, rule, device, value, at));
        }
      }
    }
    return events;
  }

  /** The open alerts of a device state, for status pages. */
  List<JsonObject> open(JsonObject state) {
    List<JsonObject> open = new ArrayList<>();
    for (Rule rule : rules) {
      JsonObject s = state.getJsonObject("r" + rule.index());
      if (s != null && s.getBoolean("open", false)) {
        open.add(new JsonObject().put("rule", rule.index()).put("kind", rule.kind()).put("condition", rule.condition())
          .put("openedSeq", s.getLong("openedSeq")));
      }
    }
    return open;
  }

  private static JsonObject event(String type, String id, Rule rule, String device, double value, long at) {
    JsonObject data = new JsonObject().put("deviceId", device).put("rule", rule.index()).put("kind", rule.kind())
      .put("condition", rule.condition()).put("forSeconds", rule.forMs() / 1_000).put("value", value)
      .put("at", IsoTimes.format(at));
    return new JsonObject().put("stream", SensorsBus.alertStream(device)).put("type", type).put("id", id).put("data", data)
      .put("by", Caller.SERVER);
  }
}
