package io.hubbub.bus;

import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A published conversation on the bus (every consumer gets each message, none replies), typed at both ends as a
 * {@link Contract} is: its address, and how its message is written to and read from the JSON the bus carries.
 * Only Hubbub's own verticles publish on a topic; a message that does not read (a node of another version, say)
 * is logged and dropped, never handed on half understood.
 *
 * @param <T> the message
 */
public record Topic<T>(String address, Function<T, JsonObject> write, Function<JsonObject, T> read) {

  private static final Logger log = LoggerFactory.getLogger(Topic.class);

  public void publish(EventBus bus, T message) {
    bus.publish(address, write.apply(message));
  }

  /** To one consumer only (the bus picks it); dropped when there is none. */
  public void send(EventBus bus, T message) {
    bus.send(address, write.apply(message));
  }

  /** Hands each message that reads to {@code handler}, on the caller's context. */
  public MessageConsumer<Object> consumer(EventBus bus, Consumer<T> handler) {
    return bus.consumer(address, message -> {
      T read;
      try {
        if (!(message.body() instanceof JsonObject body)) {
          throw Failures.badRequest("a JSON object body is required");
        }
        read = this.read.apply(body);
      } catch (RuntimeException e) {
        log.warn("dropped a message that does not read [address: {}, error: {}]", address, e.getMessage());
        return;
      }
      handler.accept(read);
    });
  }
}
