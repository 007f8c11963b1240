package io.hubbub.bus;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

/**
 * The event-bus consumers a verticle registers as it starts: {@link #ready} once the (clustered) bus knows every one
 * of them, {@link #unregister unregistered} together as it stops.
 */
public final class Consumers {

  private final EventBus bus;
  private final List<MessageConsumer<?>> registered = new ArrayList<>();

  public Consumers(EventBus bus) {
    this.bus = bus;
  }

  /** Serves requests on {@code address} ({@link Bus#serve}): the handler's result is the reply, its failure the error. */
  public <T> void serve(String address, Function<JsonObject, Future<T>> handler) {
    registered.add(Bus.serve(bus, address, handler));
  }

  /** Serves a typed conversation ({@link Contract#serve}). */
  public <Q, R> void serve(Contract<Q, R> contract, Function<Q, Future<R>> handler) {
    registered.add(contract.serve(bus, handler));
  }

  public <T> MessageConsumer<T> add(MessageConsumer<T> consumer) {
    registered.add(consumer);
    return consumer;
  }

  public void addAll(Collection<? extends MessageConsumer<?>> consumers) {
    registered.addAll(consumers);
  }

  /** Completes when every consumer's registration has reached the cluster. */
  public Future<Void> ready() {
    return Future.join(registered.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  /** Unregisters them all (and forgets them). */
  public Future<Void> unregister() {
    List<MessageConsumer<?>> all = new ArrayList<>(registered);
    registered.clear();
    return Future.join(all.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
  }
}
