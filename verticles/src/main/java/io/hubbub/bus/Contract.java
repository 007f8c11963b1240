package io.hubbub.bus;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.function.Function;

/**
 * A request/reply conversation on the bus with typed ends: its address, and how its request and its reply are
 * written to and read from the JSON the bus carries (between nodes too). Reading checks: a request that does
 * not hold what the contract says fails with 400 before any handler sees it. Callers and servers both go
 * through the contract, so a field's name and type are written once, in the request's record.
 *
 * @param <Q> the request
 * @param <R> the reply
 */
public record Contract<Q, R>(String address, Function<Q, JsonObject> writeRequest, Function<JsonObject, Q> readRequest,
                             Function<R, JsonObject> writeReply, Function<JsonObject, R> readReply) {

  /** A contract whose reply is JSON passed on as it is (the HTTP API's body, say). */
  public static <Q> Contract<Q, JsonObject> jsonReply(String address, Function<Q, JsonObject> writeRequest,
                                                       Function<JsonObject, Q> readRequest) {
    return new Contract<>(address, writeRequest, readRequest, Function.identity(), Function.identity());
  }

  /** Asks, with a send timeout: a missing or stuck server is a 503, never a hang. */
  public Future<R> request(EventBus bus, Q request, long timeoutMs) {
    return Bus.request(bus, address, writeRequest.apply(request), timeoutMs).map(readReply);
  }

  /** Serves the address ({@link Bus#serve}): the handler gets the request read and checked, its result is the reply. */
  public MessageConsumer<Object> serve(EventBus bus, Function<Q, Future<R>> handler) {
    return Bus.serve(bus, address, body -> handler.apply(readRequest.apply(body)).map(writeReply));
  }
}
