package io.hubbub.bus;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A request/reply conversation on the bus with typed ends: its address, and how its request and its reply are
 * written to and read from what the bus carries (between nodes too): JSON objects, or for a reply that is passed on
 * as it is (a page of events), JSON its server encoded once, as bytes. Reading checks: a request that does not hold
 * what the contract says fails with 400 before any handler sees it. Callers and servers both go through the
 * contract, so a field's name and type are written once, in the request's record.
 *
 * @param <Q> the request
 * @param <R> the reply
 */
public record Contract<Q, R>(String address, Function<Q, JsonObject> writeRequest, Function<JsonObject, Q> readRequest,
                             Function<R, Object> writeReply, Function<Object, R> readReply) {

  /** A conversation whose reply is a JSON object on the bus. */
  public static <Q, R> Contract<Q, R> of(String address, Function<Q, JsonObject> writeRequest, Function<JsonObject, Q> readRequest,
                                         Function<R, JsonObject> writeReply, Function<JsonObject, R> readReply) {
    return new Contract<>(address, writeRequest, readRequest, writeReply::apply, body -> readReply.apply(Bus.json(body)));
  }

  /**
   * A conversation whose reply its server builds for the one caller and keeps nothing of, an object of its own type:
   * handed over to a caller on the same node as it is, neither copied nor made JSON ({@link HandOver}); to one on
   * another node it travels as its JSON, read back with {@code readReply}.
   */
  public static <Q, R extends HandOver.Typed> Contract<Q, R> handedOver(
      String address, Function<Q, JsonObject> writeRequest, Function<JsonObject, Q> readRequest, Class<R> reply,
      Function<JsonObject, R> readReply) {
    return new Contract<>(address, writeRequest, readRequest, HandOver::new,
      body -> reply.isInstance(body) ? reply.cast(body) : readReply.apply(Bus.json(body)));
  }

  /**
   * A conversation whose reply is JSON its server encodes once and the bus carries as bytes: a caller that passes
   * it on (the gateway answering a read) neither decodes nor encodes it again.
   */
  public static <Q, R> Contract<Q, R> encoded(String address, Function<Q, JsonObject> writeRequest,
                                              Function<JsonObject, Q> readRequest, Function<R, Buffer> writeReply,
                                              Function<Buffer, R> readReply) {
    return new Contract<>(address, writeRequest, readRequest, writeReply::apply, body -> readReply.apply(Bus.encoded(body)));
  }

  /** A contract whose reply is JSON passed on as it is (the HTTP API's body, say). */
  public static <Q> Contract<Q, JsonObject> jsonReply(String address, Function<Q, JsonObject> writeRequest,
                                                       Function<JsonObject, Q> readRequest) {
    return of(address, writeRequest, readRequest, Function.identity(), Function.identity());
  }

  /** The same conversation on another address: one partition's, one gateway's. */
  public Contract<Q, R> at(String other) {
    return new Contract<>(other, writeRequest, readRequest, writeReply, readReply);
  }

  /** Asks, with a send timeout: a missing or stuck server is a 503, never a hang. */
  public Future<R> request(EventBus bus, Q request, long timeoutMs) {
    return request(bus, request, new DeliveryOptions().setSendTimeout(timeoutMs));
  }

  /** {@link #request(EventBus, Object, long)} with the caller's headers (the principal it asks for) and send timeout. */
  public Future<R> request(EventBus bus, Q request, DeliveryOptions options) {
    return Bus.requestBody(bus, address, writeRequest.apply(request), options).map(readReply);
  }

  /** Serves the address ({@link Bus#serve}): the handler gets the request read and checked, its result is the reply. */
  public MessageConsumer<Object> serve(EventBus bus, Function<Q, Future<R>> handler) {
    return Bus.serve(bus, address, body -> handler.apply(readRequest.apply(body)).map(writeReply));
  }

  /**
   * What {@link Bus#serve(EventBus, String, BiFunction)} takes, from a handler of the read request and the message's
   * headers (the caller): for servers that wrap every handler alike (chat audits its refusals).
   */
  public BiFunction<JsonObject, MultiMap, Future<Object>> rawHandler(BiFunction<Q, MultiMap, Future<R>> handler) {
    return (body, headers) -> handler.apply(readRequest.apply(body), headers).map(writeReply);
  }
}
