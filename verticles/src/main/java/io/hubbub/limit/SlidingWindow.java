package io.hubbub.limit;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One step of a sliding-window limit on one key's entry: at most {@code max} events in any {@code windowMs}. The
 * entry holds the times of the events still in the window ({@code "t1,t2,…"}, oldest first). As a Hazelcast entry
 * processor it runs where the entry lives, one key at a time, so no lock is needed; {@link #next} is the same step
 * for any other map.
 */
record SlidingWindow(int max, long windowMs, long now) implements EntryProcessor<String, String, Long> {

  /** What a step leaves in the entry and answers: 0 when allowed, else the seconds to wait. */
  record Step(String value, long waitSeconds) {
  }

  /** Counts one event at {@code now} against the times in {@code value}, if the window has room for it. */
  Step next(String value) {
    List<Long> recent = recent(value);
    if (recent.size() >= max) {
      return new Step(encode(recent), Math.max(1, (recent.get(0) + windowMs - now + 999) / 1000));
    }
    recent.add(now);
    return new Step(encode(recent), 0);
  }

  /** The times of {@code value} still in the window at {@code now}, oldest first ({@code ""}: none). */
  String trim(String value) {
    return encode(recent(value));
  }

  private List<Long> recent(String value) {
    List<Long> recent = new ArrayList<>();
    if (value != null && !value.isEmpty()) {
      for (String time : value.split(",", -1)) {
        long t = Long.parseLong(time);
        if (t > now - windowMs) {
          recent.add(t);
        }
      }
    }
    return recent;
  }

  private static String encode(List<Long> times) {
    return times.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  /** The step on a Hazelcast map's entry; the entry expires with the window. */
  @Override
  public Long process(Map.Entry<String, String> entry) {
    Step step = next(entry.getValue());
    if (step.waitSeconds() == 0) {
      ((ExtendedMapEntry<String, String>) entry).setValue(step.value(), windowMs, TimeUnit.MILLISECONDS);
    }
    return step.waitSeconds();
  }
}
