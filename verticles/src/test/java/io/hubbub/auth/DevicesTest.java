package io.hubbub.auth;

import io.hubbub.bus.AuthBus;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** When a registration whose name is taken is the same registration again, and may re-key the device it made. */
class DevicesTest {

  private static final Instant CREATED = Instant.parse("2026-12-05T10:00:00Z");
  private static final JsonObject FOUND = new JsonObject().put("_id", "gh-1").put("name", "Greenhouse").put("keyHash", "h")
    .put("created", CREATED.toString()).put("createdBy", "admin").put("idempotencyKey", "reg-1");
  private static final AuthBus.NewDevice SAME = new AuthBus.NewDevice("gh-1", "Greenhouse", "admin", "reg-1");

  @Test
  void theSameKeyByTheSameAdminWithTheSameNameWithinADayIsTheSameRegistration() {
    assertThat(Devices.sameRegistration(FOUND, SAME, CREATED.plusSeconds(1))).isTrue();
    assertThat(Devices.sameRegistration(FOUND, SAME, CREATED.plus(Devices.IDEMPOTENCY_WINDOW).minusMillis(1))).isTrue();
  }

  @Test
  void anythingElseIsNot() {
    Instant soon = CREATED.plusSeconds(1);
    assertThat(Devices.sameRegistration(FOUND, SAME, CREATED.plus(Devices.IDEMPOTENCY_WINDOW))).as("a day later").isFalse();
    assertThat(Devices.sameRegistration(FOUND, new AuthBus.NewDevice("gh-1", "Greenhouse", "admin"), soon)).as("no key").isFalse();
    assertThat(Devices.sameRegistration(FOUND, new AuthBus.NewDevice("gh-1", "Greenhouse", "admin", "reg-2"), soon))
      .as("another key").isFalse();
    assertThat(Devices.sameRegistration(FOUND, new AuthBus.NewDevice("gh-1", "Greenhouse", "root", "reg-1"), soon))
      .as("another admin").isFalse();
    assertThat(Devices.sameRegistration(FOUND, new AuthBus.NewDevice("gh-1", "Shed", "admin", "reg-1"), soon))
      .as("another name").isFalse();
    assertThat(Devices.sameRegistration(withoutKey(), SAME, soon))
      .as("registered without a key").isFalse();
    assertThat(Devices.sameRegistration(FOUND.copy().put("created", "yesterday"), SAME, soon)).as("an unreadable date").isFalse();
    assertThat(Devices.sameRegistration(FOUND.copy().put("created", 5), SAME, soon)).as("no date").isFalse();
  }

  private static JsonObject withoutKey() {
    JsonObject found = FOUND.copy();
    found.remove("idempotencyKey");
    return found;
  }
}
