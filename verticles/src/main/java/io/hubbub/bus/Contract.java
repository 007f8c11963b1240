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
                             Function<R, Object> writeReply, Function<Object, R> readReply, Class<Q> typedRequest) {

  /**
   * @param typedRequest the request's class when it is a {@link HandOver.Typed} that a caller may hand over
   *                     ({@link StorageRequests#handOver(Contract, Object)}): a server on the caller's node gets that
   *                     very object; null when requests are always JSON
   */
  public Contract {
    if (typedRequest != null && !HandOver.Typed.class.isAssignableFrom(typedRequest)) {
      throw new IllegalArgumentException(typedRequest + " is not a typed body");
    }
  }

  /** A conversation whose reply is a JSON object on the bus. */
  public static <Q, R> Contract<Q, R> of(String address, Function<Q, JsonObject> writeRequest, Function<JsonObject, Q> readRequest,
                                         Function<R, JsonObject> writeReply, Function<JsonObject, R> readReply) {
    return new Contract<>(address, writeRequest, readRequest, writeReply::apply, body -> readReply.apply(Bus.json(body)), null);
  }

  /**
   * A conversation whose request and reply each side builds for the other alone and keeps nothing of, objects of
   * their own types: handed over on the same node as they are, neither copied nor made JSON ({@link HandOver}); to
   * another node they travel as their JSON, read back with {@code readRequest} and {@code readReply}. A request sent
   * with {@link #request} goes as JSON all the same.
   */
  public static <Q extends HandOver.Typed, R extends HandOver.Typed> Contract<Q, R> handedOver(
      String address, Class<Q> request, Function<JsonObject, Q> readRequest, Class<R> reply,
      Function<JsonObject, R> readReply) {
    return new Contract<>(address, HandOver.Typed::toJson, readRequest, HandOver::new,
      body -> reply.isInstance(body) ? reply.cast(body) : readReply.apply(Bus.json(body)), request);
  }

  /**
   * A conversation whose reply is JSON its server encodes once and the bus carries as bytes: a caller that passes
   * it on (the gateway answering a read) neither decodes nor encodes it again.
   */
  public static <Q, R> Contract<Q, R> encoded(String address, Function<Q, JsonObject> writeRequest,
                                              Function<JsonObject, Q> readRequest, Function<R, Buffer> writeReply,
                                              Function<Buffer, R> readReply) {
    return new Contract<>(address, writeRequest, readRequest, writeReply::apply, body -> readReply.apply(Bus.encoded(body)),
      null);
  }

  /** A contract whose reply is JSON passed on as it is (the HTTP API's body, say). */
  public static <Q> Contract<Q, JsonObject> jsonReply(String address, Function<Q, JsonObject> writeRequest,
                                                       Function<JsonObject, Q> readRequest) {
    return of(address, writeRequest, readRequest, Function.identity(), Function.identity());
  }

  /** The same conversation on another address: one partition's, one gateway's. */
  public Contract<Q, R> at(String other) {
    return new Contract<>(other, writeRequest, readRequest, writeReply, readReply, typedRequest);
  }

  /** Asks, with a send timeout: a missing or stuck server is a 503, never a hang. */
  public Future<R> request(EventBus bus, Q request, long timeoutMs) {
    return request(bus, request, new DeliveryOptions().setSendTimeout(timeoutMs));
  }

  /** {@link #request(EventBus, Object, long)} with the caller's headers (the principal it asks for) and send timeout. */
  public Future<R> request(EventBus bus, Q request, DeliveryOptions options) {
    return Bus.requestBody(bus, address, writeRequest.apply(request), options).map(readReply);
  }

  /**
   * Serves the address ({@link Bus#serve}): the handler gets the request read and checked (or a typed request handed
   * over on this node, as it is), its result is the reply.
   */
  public MessageConsumer<Object> serve(EventBus bus, Function<Q, Future<R>> handler) {
    return Bus.serveBody(bus.consumer(address), (body, headers) -> handler.apply(read(body)).map(writeReply));
  }

  /** A request as the bus delivered it: JSON read and checked, or a typed request as it was handed over. */
  Q read(Object body) {
    if (typedRequest != null && typedRequest.isInstance(body)) {
      return typedRequest.cast(body);
    }
    return readRequest.apply(Bus.jsonBody(body));
  }

  /** What a hand-over of this request carries: the request itself when it is typed, else its JSON. */
  Object handedOver(Q request) {
    return typedRequest != null ? request : writeRequest.apply(request);
  }

  /**
   * What {@link Bus#serve(EventBus, String, BiFunction)} takes, from a handler of the read request and the message's
   * headers (the caller): for servers that wrap every handler alike (chat audits its refusals).
   */
  public BiFunction<JsonObject, MultiMap, Future<Object>> rawHandler(BiFunction<Q, MultiMap, Future<R>> handler) {
    return (body, headers) -> handler.apply(readRequest.apply(body), headers).map(writeReply);
  }
}
