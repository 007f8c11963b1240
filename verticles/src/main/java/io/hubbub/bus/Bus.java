package io.hubbub.bus;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.function.BiFunction;
import java.util.function.Function;

/** Request/reply with a send timeout, so a missing or stuck receiver becomes a 503, never a hang. */
public final class Bus {

  public static final long DEFAULT_TIMEOUT_MS = 10_000;

  private Bus() {
  }

  public static Future<JsonObject> request(EventBus bus, String address, JsonObject body, long timeoutMs) {
    return request(bus, address, body, new DeliveryOptions().setSendTimeout(timeoutMs));
  }

  public static Future<JsonObject> request(EventBus bus, String address, JsonObject body, DeliveryOptions options) {
    return requestBody(bus, address, body, options).map(Bus::json);
  }

  /** {@link #request(EventBus, String, JsonObject, long)} for a reply of any form (JSON encoded once, as bytes). */
  public static Future<Object> requestBody(EventBus bus, String address, JsonObject body, long timeoutMs) {
    return requestBody(bus, address, body, new DeliveryOptions().setSendTimeout(timeoutMs));
  }

  /** {@link #request(EventBus, String, JsonObject, DeliveryOptions)} for a reply of any form (JSON encoded once, as bytes). */
  public static Future<Object> requestBody(EventBus bus, String address, JsonObject body, DeliveryOptions options) {
    return bus.request(address, body, options).map(Message::body);
  }

  /**
   * {@link #requestBody(EventBus, String, JsonObject, long)} for a body the caller gives up ({@link HandOver}): a JSON
   * object or a typed body.
   */
  static Future<Object> handOver(EventBus bus, String address, Object body, long timeoutMs) {
    return bus.request(address, new HandOver(body), new DeliveryOptions().setSendTimeout(timeoutMs)).map(Message::body);
  }

  /** A reply read as a JSON object (or none), whether it came as one or encoded ({@link #encoded}). */
  static JsonObject json(Object body) {
    if (body == null || body instanceof JsonObject) {
      return (JsonObject) body;
    }
    if (body instanceof HandOver handOver) { // a reply read where it was written, with no bus between (a fake)
      return handOver.json();
    }
    if (body instanceof HandOver.Typed typed) { // handed over on this node, read as JSON all the same
      return typed.toJson();
    }
    if (body instanceof Buffer bytes) {
      return new JsonObject(bytes);
    }
    throw Failures.of(Failures.INTERNAL, "a reply came as " + body.getClass().getSimpleName() + " where JSON was expected");
  }

  /** A reply read as JSON encoded by its sender, whether it came so or as a JSON object ({@link #json}). */
  static Buffer encoded(Object body) {
    if (body instanceof Buffer bytes) {
      return bytes;
    }
    if (body instanceof JsonObject json) {
      return json.toBuffer();
    }
    throw Failures.of(Failures.INTERNAL, "a reply came as " + (body == null ? "nothing" : body.getClass().getSimpleName())
      + " where encoded JSON was expected");
  }

  /**
   * Serves a request/reply address: the handler gets the JSON body and its future becomes the reply;
   * a failure (or an exception thrown by the handler) becomes the protocol failure code.
   */
  public static <T> MessageConsumer<Object> serve(EventBus bus, String address, Function<JsonObject, Future<T>> handler) {
    return serve(bus, address, (body, headers) -> handler.apply(body));
  }

  /** {@link #serve(EventBus, String, Function)} for handlers that read the message's headers too. */
  public static <T> MessageConsumer<Object> serve(EventBus bus, String address,
                                                  BiFunction<JsonObject, MultiMap, Future<T>> handler) {
    return serve(bus.consumer(address), handler);
  }

  /**
   * {@link #serve(EventBus, String, BiFunction)} for this node only: a clustered bus does not offer the address to
   * other nodes, and a request sent to it from here (by the SockJS bridge, say) is served here, so it never
   * waits on another node, alive or not.
   */
  public static <T> MessageConsumer<Object> serveLocal(EventBus bus, String address,
                                                       BiFunction<JsonObject, MultiMap, Future<T>> handler) {
    return serve(bus.localConsumer(address), handler);
  }

  private static <T> MessageConsumer<Object> serve(MessageConsumer<Object> consumer,
                                                   BiFunction<JsonObject, MultiMap, Future<T>> handler) {
    return serveBody(consumer, (body, headers) -> handler.apply(jsonBody(body), headers));
  }

  /** A request's body, which must be a JSON object: 400 for anything else. */
  static JsonObject jsonBody(Object body) {
    if (!(body instanceof JsonObject json)) {
      throw Failures.badRequest("a JSON object body is required");
    }
    return json;
  }

  /** {@link #serve(MessageConsumer, BiFunction)} for a handler that reads the body as it came ({@link Contract#serve}). */
  static <T> MessageConsumer<Object> serveBody(MessageConsumer<Object> consumer,
                                               BiFunction<Object, MultiMap, Future<T>> handler) {
    return consumer.handler(message -> {
      Future<T> result;
      try {
        result = handler.apply(message.body(), message.headers());
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.onSuccess(message::reply).onFailure(failure -> Failures.reply(message, failure));
    });
  }
}
