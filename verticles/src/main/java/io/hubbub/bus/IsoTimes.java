package io.hubbub.bus;

import java.time.Instant;
import java.time.LocalDate;
import java.time.Month;
import java.time.OffsetDateTime;
import java.time.Year;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Times as readings carry them ({@code 2026-11-22T18:00:00.123Z}), read as epoch milliseconds. The common form — UTC,
 * {@code Z}, whole seconds and up to nine fraction digits — is read digit by digit; anything else goes to java.time's
 * parser, with its answers and its {@link DateTimeParseException}s. Every reading is read twice (the gateway checks
 * it, the sensors fold it), and the general parsers were 6% of the event loops' time under the fleet benchmark.
 * Every time the server writes for clients is written by {@link #format} in that form, always with milliseconds.
 */
public final class IsoTimes {

  private static final long NONE = Long.MIN_VALUE;
  /** The one form of every time the server writes for clients: UTC, always three fraction digits. */
  private static final DateTimeFormatter MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
    .withZone(ZoneOffset.UTC);

  private IsoTimes() {
  }

  /**
   * {@code time} as the server writes times ({@code 2026-11-22T18:00:00.120Z}): unlike {@link Instant#toString}, always
   * milliseconds, never fewer digits (a whole second) nor more (a clock with finer ticks).
   */
  public static String format(Instant time) {
    return MILLIS.format(time);
  }

  /** {@link #format(Instant)} of epoch milliseconds. */
  public static String format(long epochMillis) {
    return MILLIS.format(Instant.ofEpochMilli(epochMillis));
  }

  /** {@code Instant.parse(text).toEpochMilli()}. */
  public static long instantMillis(String text) {
    long fast = utc(text);
    return fast != NONE ? fast : Instant.parse(text).toEpochMilli();
  }

  /** {@code OffsetDateTime.parse(text).toInstant().toEpochMilli()}: any offset. */
  public static long offsetMillis(String text) {
    long fast = utc(text);
    return fast != NONE ? fast : OffsetDateTime.parse(text).toInstant().toEpochMilli();
  }

  /** {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z} as epoch milliseconds (the fraction truncated); {@link #NONE} for any other text. */
  static long utc(String s) {
    int n = s.length();
    if (n < 20 || n > 30 || s.charAt(n - 1) != 'Z' || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
      || s.charAt(13) != ':' || s.charAt(16) != ':') {
      return NONE;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
      || second < 0 || second > 59 || day > Month.of(month).length(Year.isLeap(year))) {
      return NONE;
    }
    int millis = 0;
    if (n > 20) {
      int fraction = n - 21;
      if (s.charAt(19) != '.' || fraction < 1) {
        return NONE;
      }
      for (int i = 20; i < n - 1; i++) {
        int d = s.charAt(i) - '0';
        if (d < 0 || d > 9) {
          return NONE;
        }
        if (i < 23) {
          millis = millis * 10 + d;
        }
      }
      for (int k = fraction; k < 3; k++) {
        millis *= 10;
      }
    }
    long seconds = LocalDate.of(year, month, day).toEpochDay() * 86_400L + hour * 3_600L + minute * 60L + second;
    return seconds * 1_000L + millis;
  }

  /** The decimal number of {@code count} digits at {@code from}; -1 when one is not a digit. */
  private static int digits(String s, int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; i++) {
      int d = s.charAt(i) - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      value = value * 10 + d;
    }
    return value;
  }
}
