package io.hubbub.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.internal.chartpart.Chart;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The charts of a scenario's latest run beside its previous one. */
class ReportTest {

  @TempDir
  Path dir;

  @Test
  void eachScenarioIsDrawnWithItsPreviousRun() throws Exception {
    for (String name : List.of("append-20261130-101010", "append-20261201-090000", "append-20261201-120000",
      "fanout-20261201-110000")) {
      Files.writeString(dir.resolve(name + ".json"), "{}");
    }
    List<List<Path>> drawings = Report.latestTwoOfEachScenario(dir);
    assertEquals(2, drawings.size());
    List<String> append = drawings.stream().filter(d -> d.get(0).getFileName().toString().startsWith("append")).findFirst()
      .orElseThrow().stream().map(p -> p.getFileName().toString()).toList();
    assertEquals(List.of("append-20261201-120000.json", "append-20261201-090000.json"), append, "the latest, then the one before");
    List<Path> fanout = drawings.stream().filter(d -> d.get(0).getFileName().toString().startsWith("fanout")).findFirst().orElseThrow();
    assertEquals(1, fanout.size(), "a scenario run once is drawn alone");
  }

  @Test
  void everySeriesIsThereForBothRuns() {
    JsonObject latest = append("2026-12-01T12:00:00Z", 1_100);
    JsonObject previous = append("2026-11-30T10:00:00Z", 515);
    List<Chart<?, ?>> charts = Report.charts(List.of(latest, previous));
    CategoryChart bars = (CategoryChart) charts.get(0);
    assertEquals(List.of("latest 2026-12-01T12:00:00Z: events/s", "previous 2026-11-30T10:00:00Z: events/s"),
      List.copyOf(bars.getSeriesMap().keySet()));
    assertEquals(List.of("bridge 1/1"), List.copyOf(bars.getSeriesMap().get("latest 2026-12-01T12:00:00Z: events/s").getXData()));
    assertEquals(List.of(515.0), List.copyOf(bars.getSeriesMap().get("previous 2026-11-30T10:00:00Z: events/s").getYData()));
    assertTrue(bars.getTitle().contains("beside 2026-11-30T10:00:00Z"), bars.getTitle());

    JsonObject fanout = new JsonObject().put("scenario", "fanout").put("date", "2026-12-01T12:00:00Z").put("rows", new JsonArray()
      .add(new JsonObject().put("target", "hubbub").put("compression", "off").put("offered/s", 1000).put("delivered/s", 19_000)
        .put("p99 ms", 10.0).put("cpu us/delivery", 20.0)));
    XYChart delivered = (XYChart) Report.charts(List.of(fanout)).get(0);
    assertEquals(List.of("hubbub, compression off"), List.copyOf(delivered.getSeriesMap().keySet()), "one run: series as they were");
  }

  private static JsonObject append(String date, double rate) {
    return new JsonObject().put("scenario", "append").put("date", date).put("rows", new JsonArray()
      .add(new JsonObject().put("scenario", "bridge streams.publish (raw WebSocket)").put("publishers", 1).put("streams", 1)
        .put("events/s", rate)));
  }
}
