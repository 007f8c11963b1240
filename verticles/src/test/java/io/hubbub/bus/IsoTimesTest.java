package io.hubbub.bus;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The digit-by-digit reading of the common form answers what java.time answers, and leaves the rest to it; times are
 * written in one form.
 */
class IsoTimesTest {

  @Test
  void theCommonFormReadsAsJavaTimeReadsIt() {
    Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      Instant at = Instant.ofEpochSecond(random.nextLong(-62_000_000_000L, 253_000_000_000L), random.nextInt(1_000_000_000));
      String text = at.toString(); // no fraction, 3, 6 or 9 digits
      String cut = i % 3 == 0 && text.contains(".") ? text.substring(0, text.indexOf('.') + 1 + 1 + i % 2) + "Z" : text;
      for (String s : List.of(text, cut)) {
        long expected = Instant.parse(s).toEpochMilli();
        assertEquals(expected, IsoTimes.instantMillis(s), s);
        assertEquals(expected, IsoTimes.offsetMillis(s), s);
        if (s.length() <= 30 && !s.startsWith("-") && !s.startsWith("+")) {
          assertNotEquals(Long.MIN_VALUE, IsoTimes.utc(s), "read digit by digit: " + s);
        }
      }
    }
  }

  @Test
  void timesAreWrittenWithExactlyThreeFractionDigits() {
    assertEquals("2026-11-22T18:00:00.000Z", IsoTimes.format(Instant.parse("2026-11-22T18:00:00Z")), "a whole second");
    assertEquals("2026-11-22T18:00:00.120Z", IsoTimes.format(Instant.parse("2026-11-22T18:00:00.12Z")));
    assertEquals("2026-11-22T18:00:00.123Z", IsoTimes.format(Instant.parse("2026-11-22T18:00:00.123456789Z")), "a finer clock");
    assertEquals("1970-01-01T00:00:01.005Z", IsoTimes.format(1_005));
    Random random = new Random(11);
    for (int i = 0; i < 1_000; i++) {
      long millis = random.nextLong(0, 253_000_000_000_000L);
      String text = IsoTimes.format(millis);
      assertEquals(24, text.length(), text);
      assertEquals(millis, IsoTimes.instantMillis(text), text);
    }
  }

  @Test
  void otherFormsAreJavaTimesToReadOrRefuse() {
    assertEquals(OffsetDateTime.parse("2026-11-22T19:00:00.5+01:00").toInstant().toEpochMilli(),
      IsoTimes.offsetMillis("2026-11-22T19:00:00.5+01:00"));
    assertEquals(OffsetDateTime.parse("2026-11-22T18:00Z").toInstant().toEpochMilli(), IsoTimes.offsetMillis("2026-11-22T18:00Z"));
    assertEquals(Instant.parse("2024-02-29T00:00:00Z").toEpochMilli(), IsoTimes.instantMillis("2024-02-29T00:00:00Z"), "a leap day");
    for (String odd : List.of("2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-22T24:00:00Z",
        "2026-11-22T25:00:00Z", "2026-11-22T18:60:00Z", "2026-11-22T18:00:61Z", "2026-11-22T18:00:00.Z",
        "2026-11-22T18:00:00.1234567890Z", "2026-11-22 18:00:00Z", "2026-11-22T18:00:00", "2026-1a-22T18:00:00Z", "")) {
      assertEquals(Long.MIN_VALUE, IsoTimes.utc(odd), odd);
      assertEquals(javaTime(() -> Instant.parse(odd).toEpochMilli()), javaTime(() -> IsoTimes.instantMillis(odd)), odd);
      assertEquals(javaTime(() -> OffsetDateTime.parse(odd).toInstant().toEpochMilli()), javaTime(() -> IsoTimes.offsetMillis(odd)), odd);
    }
    assertThrows(DateTimeParseException.class, () -> IsoTimes.offsetMillis("2026-02-29T00:00:00Z"));
    assertThrows(DateTimeParseException.class, () -> IsoTimes.instantMillis("2026-11-22T18:60:00Z"));
  }

  /** A parser's answer, or the kind of exception it threw. */
  private static Object javaTime(java.util.function.LongSupplier parse) {
    try {
      return parse.getAsLong();
    } catch (RuntimeException e) {
      return e.getClass();
    }
  }
}
