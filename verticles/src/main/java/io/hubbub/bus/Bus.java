package io.hubbub.bus;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
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
    return bus.<JsonObject>request(address, body, options).map(Message::body);
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
    return consumer.handler(message -> {
      Future<T> result;
      try {
        if (!(message.body() instanceof JsonObject body)) {
          throw Failures.badRequest("a JSON object body is required");
        }
        result = handler.apply(body, message.headers());
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.onSuccess(message::reply).onFailure(failure -> Failures.reply(message, failure));
    });
  }
}
