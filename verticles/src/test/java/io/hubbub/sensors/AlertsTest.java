package io.hubbub.sensors;

import io.hubbub.conf.HubbubConf;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Alert rules over sequences of readings: duration, hysteresis, one open alert per rule, replay-safe ids. */
class AlertsTest {

  private final Alerts alerts = new Alerts(List.of(
    new HubbubConf.AlertRule("temperature", 30.0, null, 60, 2),
    new HubbubConf.AlertRule("battery", null, 10.0, 0, 0)));
  private final JsonObject state = new JsonObject();
  private long seq;

  /** Readings of one kind at the given seconds; answers the types of the events raised, in order. */
  private List<String> feed(String kind, double[][] secondsAndValues) {
    List<String> raised = new ArrayList<>();
    for (double[] r : secondsAndValues) {
      alerts.evaluate(state, "d1", ++seq, kind, r[1], (long) (r[0] * 1000)).forEach(e -> raised.add(e.getString("type")));
    }
    return raised;
  }

  @Test
  void aDevicesRulesAreThoseOfItsKindsWithTheirThresholds() {
    assertEquals(List.of(new JsonObject().put("rule", 1).put("kind", "battery").put("below", 10.0).put("forSeconds", 0L)
      .put("hysteresis", 0.0)), alerts.rulesFor(java.util.Set.of("battery", "humidity")));
    assertEquals(List.of(new JsonObject().put("rule", 0).put("kind", "temperature").put("above", 30.0).put("forSeconds", 60L)
      .put("hysteresis", 2.0)), alerts.rulesFor(java.util.Set.of("temperature")));
    assertEquals(List.of(), alerts.rulesFor(java.util.Set.of()));
  }

  @Test
  void opensOnlyOnceTheThresholdIsBrokenForTheWholeDuration() {
    assertEquals(List.of(), feed("temperature", new double[][] {{0, 31}, {30, 32}, {59, 33}}));
    assertEquals(List.of("ALERT"), feed("temperature", new double[][] {{60, 31}}));
    assertEquals(List.of(), feed("temperature", new double[][] {{61, 35}, {500, 40}}), "one open alert per rule");
  }

  @Test
  void aRulesHeldStateIsReplacedNeverChangedInPlace() {
    feed("temperature", new double[][] {{0, 31}});
    JsonObject held = state.getJsonObject("r0");
    JsonObject before = held.copy();
    assertEquals(List.of("ALERT"), feed("temperature", new double[][] {{60, 31}}));
    assertEquals(before, held, "the object a checkpoint on its way holds is as it was");
    assertEquals(true, state.getJsonObject("r0").getBoolean("open"), "the state holds the changed copy");
  }

  @Test
  void aReadingBackUnderTheThresholdRestartsTheDuration() {
    assertEquals(List.of(), feed("temperature", new double[][] {{0, 31}, {50, 29}, {70, 31}, {120, 31}}));
    assertEquals(List.of("ALERT"), feed("temperature", new double[][] {{130, 31}}));
  }

  @Test
  void resolvesOnlyPastTheHysteresisBand() {
    feed("temperature", new double[][] {{0, 31}, {60, 31}});
    assertEquals(List.of(), feed("temperature", new double[][] {{70, 29}, {80, 28.5}, {90, 31}}), "within 2 of 30: still open");
    assertEquals(List.of("RESOLVED"), feed("temperature", new double[][] {{100, 28}}));
    assertEquals(List.of(), feed("temperature", new double[][] {{110, 20}}), "resolved once");
    assertTrue(alerts.open(state).isEmpty());
  }

  @Test
  void belowRulesWithoutDurationOpenAtOnceAndOtherKindsAreIgnored() {
    assertEquals(List.of(), feed("humidity", new double[][] {{0, 1}}));
    assertEquals(List.of("ALERT"), feed("battery", new double[][] {{0, 9}}));
    assertEquals(List.of(1), alerts.open(state).stream().map(a -> a.getInteger("rule")).toList());
    assertEquals(List.of("RESOLVED"), feed("battery", new double[][] {{1, 10}}));
  }

  @Test
  void eventIdsComeFromTheRuleAndTheSeqSoAReplayRaisesTheSameEvent() {
    JsonObject before = state.copy();
    JsonObject first = alerts.evaluate(state, "d1", 7, "battery", 5, 0).get(0);
    JsonObject replayed = alerts.evaluate(before, "d1", 7, "battery", 5, 0).get(0);
    assertEquals("alert-r1-7", first.getString("id"));
    assertEquals(first, replayed);
    assertEquals("alerts.d1", first.getString("stream"));
  }
}
