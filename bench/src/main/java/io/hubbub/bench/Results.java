package io.hubbub.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * One benchmark run's rows: printed as a table and written as JSON under {@code bench/results/}
 * ({@code <scenario>-<UTC time>.json}), which {@code bench/report} turns into a chart.
 */
final class Results {

  static final Path DIR = Path.of("bench", "results");

  private final String scenario;
  private final JsonObject params;
  private final List<String> columns;
  private final JsonArray rows = new JsonArray();

  Results(String scenario, JsonObject params, List<String> columns) {
    this.scenario = scenario;
    this.params = params;
    this.columns = columns;
  }

  /** A row: one value per column, in order. Printed at once. */
  void add(Object... values) {
    JsonObject row = new JsonObject();
    for (int i = 0; i < columns.size(); i++) {
      row.put(columns.get(i), values[i]);
    }
    rows.add(row);
    System.out.println("  " + format(values));
  }

  /** Prints the whole table and writes the JSON; returns its path. */
  Path finish() throws IOException {
    System.out.println();
    System.out.println(format(columns.toArray()));
    for (Object o : rows) {
      JsonObject row = (JsonObject) o;
      System.out.println(format(columns.stream().map(row::getValue).toArray()));
    }
    String time = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
    JsonObject json = new JsonObject()
      .put("scenario", scenario)
      .put("date", Instant.now().toString())
      .put("machine", new JsonObject()
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("java", System.getProperty("java.version"))
        .put("os", ManagementFactory.getOperatingSystemMXBean().getName()))
      .put("params", params)
      .put("columns", new JsonArray(new ArrayList<>(columns)))
      .put("rows", rows);
    Files.createDirectories(DIR);
    Path file = DIR.resolve(scenario + "-" + time + ".json");
    Files.writeString(file, json.encodePrettily());
    System.out.println("\nwritten " + file + " (chart: bench/report " + file + ")");
    return file;
  }

  private static String format(Object[] values) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      Object v = values[i];
      String text = v instanceof Double d ? (Math.abs(d) >= 100 ? String.format("%,.0f", d) : String.format("%.2f", d))
        : v instanceof Long || v instanceof Integer ? String.format("%,d", ((Number) v).longValue()) : String.valueOf(v);
      line.append(i == 0 ? String.format("%-46s", text) : String.format(" %12s", text));
    }
    return line.toString();
  }
}
