package io.hubbub.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Draws a benchmark's JSON results (bench/results) as a PNG beside the file, with XChart: fan-out and
 * peer runs as delivered/s, p99 latency and CPU per delivery against the publish rate, one series per
 * server and compression; append, catch-up and connections as bars. With no file named, each scenario's
 * latest run is drawn beside its previous one (each series twice, "latest" and "previous", with their dates).
 */
public final class Report {

  private static final int WIDTH = 900;
  private static final int HEIGHT = 480;
  /** The label a row gets when two runs are drawn together. */
  private static final String RUN = "_run";

  static void run(List<Path> given) throws Exception {
    List<List<Path>> drawings = new ArrayList<>();
    given.forEach(file -> drawings.add(List.of(file)));
    if (drawings.isEmpty()) {
      drawings.addAll(latestTwoOfEachScenario(Results.DIR));
    }
    if (drawings.isEmpty()) {
      throw new IllegalStateException("no results under " + Results.DIR + ": run a scenario first");
    }
    for (List<Path> runs : drawings) {
      List<JsonObject> results = new ArrayList<>();
      for (Path file : runs) {
        results.add(new JsonObject(Files.readString(file)));
      }
      List<Chart<?, ?>> charts = charts(results);
      String png = runs.get(0).toString().replaceAll("\\.json$", "");
      BitmapEncoder.saveBitmap(charts, charts.size(), 1, png, BitmapEncoder.BitmapFormat.PNG);
      System.out.println("chart " + png + ".png" + (runs.size() > 1 ? " (beside " + runs.get(1).getFileName() + ")" : ""));
    }
  }

  /** Per scenario, its latest result file and the one before it (when there is one). */
  static List<List<Path>> latestTwoOfEachScenario(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    Map<String, List<Path>> byScenario = new LinkedHashMap<>();
    try (Stream<Path> list = Files.list(dir)) {
      list.filter(p -> p.toString().endsWith(".json")).sorted(Comparator.comparing(Path::toString).reversed())
        .forEach(p -> byScenario.computeIfAbsent(p.getFileName().toString().replaceAll("-\\d{8}-\\d{6}\\.json$", ""),
          k -> new ArrayList<>()).add(p));
    }
    return byScenario.values().stream().map(files -> files.subList(0, Math.min(2, files.size()))).toList();
  }

  /**
   * The charts of one scenario's results, the latest first: with two, every row is drawn in its run's series
   * ("latest …" and "previous …", by date).
   */
  static List<Chart<?, ?>> charts(List<JsonObject> runs) {
    JsonObject results = runs.get(0);
    String scenario = results.getString("scenario");
    String title = scenario + " " + date(results) + ", "
      + results.getJsonObject("machine", new JsonObject()).getInteger("cores", 0) + " cores"
      + (runs.size() > 1 ? " (beside " + date(runs.get(1)) + ")" : "");
    List<JsonObject> rows = new ArrayList<>();
    for (int i = 0; i < runs.size(); i++) {
      String run = runs.size() == 1 ? "" : (i == 0 ? "latest " : "previous ") + date(runs.get(i)) + ": ";
      runs.get(i).getJsonArray("rows", new JsonArray()).stream().map(JsonObject.class::cast)
        .forEach(row -> rows.add(row.copy().put(RUN, run)));
    }
    return switch (scenario) {
      case "fanout" -> List.of(
        xy(title + ": delivered messages/s", "publishes/s offered", "delivered/s", rows, "offered/s", "delivered/s", false),
        xy("publish to receive, p99", "publishes/s offered", "ms", rows, "offered/s", "p99 ms", true),
        xy("server CPU per delivered message", "publishes/s offered", "µs", rows, "offered/s", "cpu us/delivery", false));
      // the disk's large appends (millions of events/s) would flatten every other bar: the table has them
      case "append" -> List.of(bars(title + ": durable appends/s", "events/s",
        rows.stream().filter(r -> !r.getString("scenario").startsWith("disk: 200 KB")).toList(), r -> "events/s",
        Report::appendLabel, "events/s"));
      case "catchup" -> List.of(bars(title + ": catch-up reads, events/s", "events/s", rows, r -> r.getString("over"),
        r -> r.getString("from"), "events/s"));
      case "connections" -> List.of(
        bars(title + ": memory per idle connection", "bytes", rows, r -> "heap after GC", r -> String.valueOf(r.getValue("connections")),
          "heap bytes/conn"),
        bars("resident memory per idle connection", "bytes", rows, r -> "RSS", r -> String.valueOf(r.getValue("connections")),
          "rss bytes/conn"));
      case "soak" -> List.of(line(title + ": the data file under a steady load with retention", "minutes", "MB", rows, "minute",
        List.of("file MB", "rss MB")));
      case "retention" -> List.of(bars(title + ": appends beside retention", "events/s", rows, r -> "events/s",
        r -> r.getString("run"), "events/s"));
      case "datatools" -> List.of(bars(title + ": the data tools on 200k events", "seconds", rows, r -> "seconds",
        r -> r.getString("tool"), "seconds"));
      default -> throw new IllegalArgumentException("no chart for scenario '" + scenario + "'");
    };
  }

  /** One line per (target, compression). */
  private static XYChart xy(String title, String x, String y, List<JsonObject> rows, String xKey, String yKey, boolean log) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setYAxisLogarithmic(log);
    chart.getStyler().setYAxisDecimalPattern("#,##0.##");
    chart.getStyler().setXAxisDecimalPattern("#,##0");
    Map<String, List<JsonObject>> series = new LinkedHashMap<>();
    rows.forEach(r -> series.computeIfAbsent(r.getString(RUN, "") + r.getString("target") + ", compression " + r.getString("compression"),
      k -> new ArrayList<>()).add(r));
    series.forEach((name, list) -> chart.addSeries(name,
      list.stream().map(r -> number(r, xKey)).toList(), list.stream().map(r -> Math.max(number(r, yKey), log ? 0.01 : 0)).toList()));
    return chart;
  }

  /** One line per key of {@code yKeys}, over {@code xKey}. */
  private static XYChart line(String title, String x, String y, List<JsonObject> rows, String xKey, List<String> yKeys) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    chart.getStyler().setYAxisDecimalPattern("#,##0");
    Map<String, List<JsonObject>> runs = new LinkedHashMap<>();
    rows.forEach(r -> runs.computeIfAbsent(r.getString(RUN, ""), k -> new ArrayList<>()).add(r));
    runs.forEach((run, list) -> {
      for (String key : yKeys) {
        chart.addSeries(run + key, list.stream().map(r -> number(r, xKey)).toList(), list.stream().map(r -> number(r, key)).toList());
      }
    });
    return chart;
  }

  /** Bars of {@code yKey}, grouped by {@code category}, one colour per {@code series}. */
  private static CategoryChart bars(String title, String y, List<JsonObject> rows, Function<JsonObject, String> series,
                                    Function<JsonObject, String> category, String yKey) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).yAxisTitle(y).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setOverlapped(false);
    chart.getStyler().setXAxisLabelRotation(45);
    chart.getStyler().setYAxisDecimalPattern("#,##0");
    List<String> categories = rows.stream().map(category).distinct().toList();
    Map<String, Map<String, Double>> values = new LinkedHashMap<>();
    rows.forEach(r -> values.computeIfAbsent(r.getString(RUN, "") + series.apply(r), k -> new LinkedHashMap<>())
      .put(category.apply(r), number(r, yKey)));
    values.forEach((name, byCategory) -> chart.addSeries(name, categories,
      categories.stream().map(c -> byCategory.getOrDefault(c, 0.0)).toList()));
    return chart;
  }

  /** A short name for an append row: what, then publishers/streams. */
  private static String appendLabel(JsonObject row) {
    String scenario = row.getString("scenario");
    String what = scenario.startsWith("disk") ? (scenario.contains("loopback TCP") ? "disk over TCP" : "disk")
      : scenario.contains("one insert at a time") ? "store 1 at a time"
      : scenario.startsWith("store") ? "store " + scenario.replaceAll(".*raw bulk of (\\d+).*", "$1")
      + (scenario.contains("not journaled") ? " lazy" : scenario.contains("1 stream") ? " 1 stream"
      : scenario.endsWith("before") ? " before" : scenario.endsWith("after") ? " after" : "")
      : scenario.startsWith("HTTP POST batches") ? "batches" : scenario.startsWith("HTTP") ? "HTTP" : "bridge";
    return scenario.startsWith("disk") || scenario.startsWith("store") ? what : what + " " + row.getValue("publishers") + "/" + row.getValue("streams");
  }

  private static String date(JsonObject results) {
    return results.getString("date", "").replaceAll("\\.\\d+Z$", "Z");
  }

  private static double number(JsonObject row, String key) {
    Object v = row.getValue(key);
    return v instanceof Number n ? n.doubleValue() : 0.0;
  }
}
