package io.hubbub.bus;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A stored document's checks, and where in the document each refusal says the fault is. */
class EventRulesTest {

  private static String refusal(JsonObject document) {
    ReplyException e = assertThrows(ReplyException.class, () -> EventRules.checkDocument(document, "data"));
    assertEquals(400, e.failureCode());
    return e.getMessage();
  }

  @Test
  void aRefusalNamesThePathOfTheFaultThroughObjectsAndArrays() {
    JsonObject operator = new JsonObject().put("a", new JsonArray().add(1).add(new JsonObject().put("b", new JsonObject().put("$gt", 1))));
    assertEquals("key '$gt' in 'data.a[1].b' is not allowed: keys may not start with '$' or contain '.' or NUL", refusal(operator));

    JsonObject surrogate = new JsonObject().put("x", new JsonArray().add("ok").add("bad \uD800 half"));
    assertEquals("'data.x[1]' holds an unpaired UTF-16 surrogate (\\ud800 at 4): it is not a character and cannot be stored",
      refusal(surrogate));

    JsonObject huge = new JsonObject().put("n", new JsonObject().put("big", new BigInteger("1".repeat(40))));
    assertEquals("number at 'data.n.big' is out of range", refusal(huge));
  }

  @Test
  void aKeyWithControlCharactersIsEscapedInThePath() {
    JsonObject document = new JsonObject().put("a\nb", new JsonObject().put("c.d", 1));
    assertEquals("key 'c.d' in 'data.a\\u000ab' is not allowed: keys may not start with '$' or contain '.' or NUL", refusal(document));
  }

  @Test
  void nestingIsBoundedAndOrdinaryDocumentsPass() {
    JsonObject deep = new JsonObject();
    JsonObject inner = deep;
    for (int i = 0; i < EventRules.MAX_DEPTH + 1; i++) {
      JsonObject next = new JsonObject();
      inner.put("k", next);
      inner = next;
    }
    String message = refusal(deep);
    assertEquals("'data" + ".k".repeat(EventRules.MAX_DEPTH + 1) + "' is nested deeper than " + EventRules.MAX_DEPTH + " levels",
      message);

    assertDoesNotThrow(() -> EventRules.checkDocument(new JsonObject()
      .put("kind", "temp").put("value", 21.5).put("tags", new JsonArray().add("a").add(new JsonObject().put("x", "\uD83D\uDE00"))), "data"));
  }

  /** Values whose JSON is long for their size: escapes, multi-byte characters, the longest numbers. */
  private static Object value(Random random, int depth) {
    return switch (depth > 4 ? random.nextInt(7) : random.nextInt(9)) {
      case 0 -> "\u0001\"\\\n\t\u001f";
      case 1 -> "é€\uD83D\uDE00 x".repeat(random.nextInt(4));
      case 2 -> random.nextBoolean() ? Long.MIN_VALUE : Integer.MIN_VALUE;
      case 3 -> random.nextBoolean() ? -Double.MIN_VALUE : -2.2250738585072014E-308;
      case 4 -> random.nextBoolean() ? -Double.MAX_VALUE : random.nextDouble();
      case 5 -> random.nextBoolean();
      case 6 -> null;
      case 7 -> {
        JsonArray array = new JsonArray();
        for (int i = random.nextInt(4); i > 0; i--) {
          array.add(value(random, depth + 1));
        }
        yield array;
      }
      default -> document(random, depth + 1);
    };
  }

  private static JsonObject document(Random random, int depth) {
    JsonObject document = new JsonObject();
    for (int i = random.nextInt(5); i > 0; i--) {
      document.put(random.nextBoolean() ? "k" + i : "\u0002é" + i, value(random, depth));
    }
    return document;
  }

  @Test
  void theSizeBoundIsNeverBelowTheEncodedSize() {
    Random random = new Random(16);
    for (int i = 0; i < 5_000; i++) {
      JsonObject document = document(random, 0);
      long bound = EventRules.checkDocument(document, "data");
      int size = document.toBuffer().length();
      assertTrue(bound >= size, document.encode() + ": bound " + bound + " < " + size);
    }
    assertEquals(2, EventRules.checkDocument(new JsonObject(), "data"));
    assertEquals(2 + 3 + 6 + 2 + 6 * 3, EventRules.checkDocument(new JsonObject().put("a", "xyz"), "data"));
  }

  @Test
  void dataIsMeasuredExactlyWhereItsBoundPassesTheLimit() {
    JsonObject data = new JsonObject().put("s", "x".repeat(100)); // {"s":"xxx…"}: 108 bytes, bound 613
    int size = data.toBuffer().length();
    assertEquals(108, size);
    JsonObject event = new JsonObject().put("type", "E").put("data", data);
    assertEquals(data, EventRules.checkEvent(event, size, Set.of(), "event").getJsonObject("data"), "exactly the limit");
    ReplyException over = assertThrows(ReplyException.class, () -> EventRules.checkEvent(event, size - 1, Set.of(), "event"));
    assertEquals(Failures.TOO_LARGE, over.failureCode());
    assertEquals("event: 'data' is 108 bytes, more than 107", over.getMessage());
    assertDoesNotThrow(() -> EventRules.checkEvent(event, 613, Set.of(), "event"), "under the bound: not encoded to be measured");
  }
}
