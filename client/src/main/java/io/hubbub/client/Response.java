package io.hubbub.client;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

/** An HTTP answer of Hubbub: status, headers and body; an error's body is {@code {"error": {"code", "message"}}}. */
public record Response(int status, MultiMap headers, Buffer body) {

  /** The body as a JSON object; null when empty. */
  public JsonObject json() {
    return body.length() == 0 ? null : new JsonObject(body);
  }

  /** The body as text. */
  public String text() {
    return body.toString();
  }

  /** The body as any JSON value. */
  public Object value() {
    return Json.decodeValue(body);
  }

  public int errorCode() {
    return json().getJsonObject("error").getInteger("code");
  }

  public String errorMessage() {
    return json().getJsonObject("error").getString("message");
  }

  /** The JSON body of a success (an empty one as {@code {}}); from 300 up, a {@link HubbubException}. */
  public JsonObject orThrow(String what) {
    if (status >= 300) {
      throw new HubbubException(status, what + ": " + status + " " + body);
    }
    return body.length() == 0 ? new JsonObject() : new JsonObject(body);
  }
}
