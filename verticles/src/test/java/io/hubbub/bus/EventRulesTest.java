package io.hubbub.bus;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
