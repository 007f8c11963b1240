package io.hubbub.bench;

import org.junit.jupiter.api.Test;

import java.util.SortedMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Storage's latency read from two scrapes of a server's histograms, as Prometheus's histogram_quantile reads them. */
class StoreLatencyTest {

  /** Two storage instances' series of one histogram, as Micrometer's Prometheus registry writes them, and a look-alike. */
  private static String scrape(String name, double[] first, double[] second) {
    String[] bounds = {"0.001", "0.002", "0.01", "+Inf"};
    StringBuilder text = new StringBuilder("# TYPE " + name + " histogram\n");
    for (int i = 0; i < bounds.length; i++) {
      text.append(name).append("_bucket{verticle=\"0\",le=\"").append(bounds[i]).append("\"} ").append(first[i]).append('\n');
      text.append(name).append("_bucket{le=\"").append(bounds[i]).append("\",verticle=\"1\"} ").append(second[i]).append('\n');
      text.append(name).append("_other_bucket{le=\"").append(bounds[i]).append("\"} 1000\n");
    }
    return text.append(name).append("_count{verticle=\"0\"} ").append(first[bounds.length - 1]).append('\n').toString();
  }

  @Test
  void bucketsAreSummedOverSeriesByBoundAndNoOtherMetricCounts() {
    SortedMap<Double, Double> buckets = StoreLatency.buckets(scrape("h", new double[] {1, 2, 3, 4}, new double[] {10, 20, 30, 40}), "h");
    assertEquals(4, buckets.size());
    assertEquals(11.0, buckets.get(0.001));
    assertEquals(44.0, buckets.get(Double.POSITIVE_INFINITY));
  }

  @Test
  void aQuantileIsInterpolatedWithinItsBucketAndCappedAtTheLargestFiniteBound() {
    SortedMap<Double, Double> buckets = StoreLatency.buckets(scrape("h", new double[] {0, 50, 100, 100}, new double[] {0, 0, 0, 0}), "h");
    assertEquals(0.0015, StoreLatency.quantile(0.25, buckets), 1e-12, "the second bucket's 50: the 25th at its middle");
    assertEquals(0.002, StoreLatency.quantile(0.5, buckets), 1e-12, "the 50th at its upper bound");
    assertEquals(0.002 + 0.008 * 0.98, StoreLatency.quantile(0.99, buckets), 1e-12);
    SortedMap<Double, Double> beyond = StoreLatency.buckets(scrape("h", new double[] {0, 0, 1, 100}, new double[] {0, 0, 0, 0}), "h");
    assertEquals(0.01, StoreLatency.quantile(0.99, beyond), 1e-12, "in +Inf: the largest finite bound, as Prometheus answers");
    assertTrue(Double.isNaN(StoreLatency.quantile(0.5, StoreLatency.buckets("", "h"))));
  }

  @Test
  void theWindowIsTheDifferenceOfTwoScrapes() {
    String before = scrape(StoreLatency.LATENCY, new double[] {100, 100, 100, 100}, new double[] {0, 0, 0, 0})
      + scrape(StoreLatency.WRITE, new double[] {20, 20, 20, 20}, new double[] {0, 0, 0, 0});
    String after = scrape(StoreLatency.LATENCY, new double[] {100, 150, 200, 200}, new double[] {0, 0, 0, 0})
      + scrape(StoreLatency.WRITE, new double[] {20, 30, 40, 40}, new double[] {0, 0, 0, 0});
    assertEquals(" storage: appends acknowledged in p50 2.00 ms, p99 9.84 ms (100); writes until durable p99 9.84 ms (20)",
      StoreLatency.since(before, after), "the 100 appends before the window are not its own");
    assertEquals("", StoreLatency.since(before, before), "nothing appended");
    assertEquals("", StoreLatency.since("", after), "a server without these metrics (the peer)");
  }
}
