package io.hubbub.bench;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Storage's own latency over a measured window, read from two scrapes of a Hubbub server's {@code /metrics}: its
 * histograms of an append's time from arrival to acknowledgement ({@value #LATENCY}) and of a group-committed write's
 * time until durable ({@value #WRITE}). Percentiles are read from the buckets as Prometheus's {@code
 * histogram_quantile} reads them: the bucket the rank falls in, interpolated linearly.
 */
final class StoreLatency {

  static final String LATENCY = "hubbub_append_latency_seconds";
  static final String WRITE = "hubbub_append_write_seconds";
  /** A bucket's upper bound: the label {@code le}, not the end of another label's name ({@code verticle="0"}). */
  private static final Pattern LE = Pattern.compile("[{,]le=\"([^\"]*)\"");

  private StoreLatency() {
  }

  /**
   * {@code " storage: appends acknowledged in p50 <ms>, p99 <ms> (<count>); writes until durable p99 <ms> (<count>)"}
   * between two scrapes, to follow another text; empty when either is empty (a server without these metrics) or
   * nothing was appended between them.
   */
  static String since(String before, String after) {
    if (before.isEmpty() || after.isEmpty()) {
      return "";
    }
    SortedMap<Double, Double> appends = minus(buckets(after, LATENCY), buckets(before, LATENCY));
    SortedMap<Double, Double> writes = minus(buckets(after, WRITE), buckets(before, WRITE));
    double count = count(appends);
    if (count == 0) {
      return "";
    }
    return String.format(" storage: appends acknowledged in p50 %.2f ms, p99 %.2f ms (%,.0f); writes until durable p99 %.2f ms (%,.0f)",
      quantile(0.5, appends) * 1e3, quantile(0.99, appends) * 1e3, count, quantile(0.99, writes) * 1e3, count(writes));
  }

  /** A histogram's cumulative counts by upper bound ({@code le}, +Inf included), summed over all its series. */
  static SortedMap<Double, Double> buckets(String metrics, String histogram) {
    SortedMap<Double, Double> counts = new TreeMap<>();
    String prefix = histogram + "_bucket{";
    for (String line : metrics.lines().toList()) {
      Matcher le = LE.matcher(line);
      if (!line.startsWith(prefix) || !le.find()) {
        continue;
      }
      String bound = le.group(1);
      double upper = bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound);
      counts.merge(upper, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
    }
    return counts;
  }

  /** {@code later}'s counts less {@code earlier}'s, bound by bound. */
  static SortedMap<Double, Double> minus(SortedMap<Double, Double> later, SortedMap<Double, Double> earlier) {
    SortedMap<Double, Double> since = new TreeMap<>();
    later.forEach((bound, count) -> since.put(bound, count - earlier.getOrDefault(bound, 0.0)));
    return since;
  }

  private static double count(SortedMap<Double, Double> cumulative) {
    return cumulative.isEmpty() ? 0 : cumulative.get(cumulative.lastKey());
  }

  /**
   * The {@code q} quantile, in the unit of the bounds: linear within the bucket the rank falls in (from 0 for the
   * first); the largest finite bound when it falls beyond it; NaN for no observations.
   */
  static double quantile(double q, SortedMap<Double, Double> cumulative) {
    double total = count(cumulative);
    if (total == 0) {
      return Double.NaN;
    }
    double rank = q * total;
    double lower = 0;
    double below = 0;
    for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
      if (bucket.getValue() >= rank) {
        if (bucket.getKey().isInfinite()) {
          return lower;
        }
        double in = bucket.getValue() - below;
        return in == 0 ? bucket.getKey() : lower + (bucket.getKey() - lower) * (rank - below) / in;
      }
      lower = bucket.getKey();
      below = bucket.getValue();
    }
    return lower;
  }
}
