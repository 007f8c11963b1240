package io.hubbub.bus;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-written checks of stream names, keys, event types and ids answer exactly as the regular expressions the
 * protocol states them by ({@link Streams#NAME_REGEX}, {@link Streams#KEY}, {@link EventRules#TYPE},
 * {@link EventRules#ID}), on the edges of each rule and on many random strings.
 */
class NameChecksTest {

  /** Every character any rule allows, its neighbours in ASCII, and look-alikes outside it. */
  private static final String ALPHABET = "aAzZmM09_-.:@`[{/ \t\u00e9\u0660\uff21\u0131";
  private static final Pattern NAME = Pattern.compile(Streams.NAME_REGEX);

  private static void sameAsRegex(Pattern rule, Predicate<String> check, String text) {
    assertEquals(rule.matcher(text).matches(), check.test(text), () -> rule.pattern() + " on '" + text + "'");
  }

  /** Mostly the rule's own characters, so that many match and its length limits are reached, now and then any other. */
  private static String randomText(Random random, String own, int maxLength) {
    int length = random.nextInt(maxLength + 3);
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      String from = random.nextInt(20) == 0 ? ALPHABET : own;
      text.append(from.charAt(random.nextInt(from.length())));
    }
    return text.toString();
  }

  private static void sameAsRegexOnRandomStrings(Pattern rule, Predicate<String> check, Supplier<String> texts) {
    int matched = 0;
    for (int n = 0; n < 100_000; n++) {
      String text = texts.get();
      sameAsRegex(rule, check, text);
      matched += rule.matcher(text).matches() ? 1 : 0;
    }
    assertTrue(matched > 1_000, "the random strings reach the accepting side too: " + matched);
  }

  @Test
  void streamNamesAsTheRegex() {
    for (String edge : List.of("", ".", "a.", ".a", "a.b", "A.b", "1a.b", "-a.b", "a-.b", "a.b.c", "a..b", "ab.c d", "a.\u00e9",
      "a".repeat(32) + ".k", "a".repeat(33) + ".k", "a." + "k".repeat(128), "a." + "k".repeat(129), "chat.room-1_X")) {
      sameAsRegex(NAME, Streams::isValidName, edge);
    }
    assertTrue(Streams.isValidName("chat.lobby"));
    assertFalse(Streams.isValidName(null));
    Random random = new Random(7);
    sameAsRegexOnRandomStrings(NAME, Streams::isValidName,
      () -> randomText(random, "az09-", 34) + (random.nextInt(10) == 0 ? "" : ".") + randomText(random, "aZ09_-", 130));
  }

  @Test
  void keysAsTheRegex() {
    for (String edge : List.of("", "a", "k".repeat(128), "k".repeat(129), "a.b", "A_-9", "a b")) {
      sameAsRegex(Streams.KEY, Streams::isKey, edge);
    }
    assertFalse(Streams.isKey(null));
    Random random = new Random(8);
    sameAsRegexOnRandomStrings(Streams.KEY, Streams::isKey, () -> randomText(random, "aZ09_-", 132));
  }

  @Test
  void typesAndIdsAsTheRegex() {
    for (String edge : List.of("", "A", "a", "_A", "9A", "A_9", "ORDER_PLACED", "A".repeat(64), "A".repeat(65), "A-B")) {
      sameAsRegex(EventRules.TYPE, EventRules::isType, edge);
    }
    for (String edge : List.of("", "a", ".", ":", "evt-1", "a:b.c_d-e", "i".repeat(64), "i".repeat(65), "a/b", "a b")) {
      sameAsRegex(EventRules.ID, EventRules::isId, edge);
    }
    Random random = new Random(9);
    sameAsRegexOnRandomStrings(EventRules.TYPE, EventRules::isType, () -> randomText(random, "AZ09_", 68));
    sameAsRegexOnRandomStrings(EventRules.ID, EventRules::isId, () -> randomText(random, "aZ09_.:-", 68));
  }
}
