package io.hubbub.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * A message body its sender gives up when it sends it: a receiver on the same node gets that very object, where the
 * bus would copy a {@link JsonObject} whole before delivering it: every event of a batch of a thousand, and every ack
 * on the way back, which cost about 1.5 µs of the server's 9.3 an event (bench/README.md, "Hand-over"). Between nodes
 * it travels as any JSON body does, and arrives as a {@link JsonObject}.
 *
 * <p>A body is a {@link JsonObject}, or an object of a type of its own ({@link Typed}) that a receiver on this node
 * gets as it is, with no JSON made of it at all, and one on another node as its JSON: storage's acks
 * ({@link StorageBus.Appended}, read either way by {@link Contract#handedOver}).
 *
 * <p>Only for a body built for this one message, that its sender (and what it shares objects with) never reads or
 * changes again: the receiver, on another thread, may. The gateway's appends are such bodies (events it has just
 * checked into copies of their own, {@link StorageRequests#handOver}), and so are storage's acks
 * ({@link Contract#handedOver}).
 */
public record HandOver(Object body) {

  /** A body of a type of its own: what it is on the wire between nodes. */
  public interface Typed {
    JsonObject toJson();
  }

  public HandOver {
    if (!(body instanceof JsonObject) && !(body instanceof Typed)) {
      throw new IllegalArgumentException("a hand-over carries a JSON object or a typed body, not " + body);
    }
  }

  /** The body as JSON: itself, or a typed body's JSON. */
  public JsonObject json() {
    return body instanceof Typed typed ? typed.toJson() : (JsonObject) body;
  }

  /**
   * The codec's name, on the wire between nodes. What sends or receives hand-overs registers it ({@link #register}) on
   * its own bus, whoever built it: every {@link StorageClient}, and the storage verticle.
   */
  static final String CODEC_NAME = "hubbub.handover";
  static final MessageCodec<HandOver, Object> CODEC = new Codec();

  /** Lets this bus carry hand-overs; once per bus is enough, and more do nothing. */
  public static void register(EventBus bus) {
    try {
      bus.registerDefaultCodec(HandOver.class, CODEC);
    } catch (IllegalStateException registered) {
      // already registered on this bus (by another verticle of the node)
    }
  }

  /** As Vert.x's JSON codec on the wire (length, then the JSON), read as a {@link JsonObject}; here, the body. */
  private static final class Codec implements MessageCodec<HandOver, Object> {

    @Override
    public void encodeToWire(Buffer buffer, HandOver handOver) {
      Buffer encoded = handOver.json().toBuffer();
      buffer.appendInt(encoded.length());
      buffer.appendBuffer(encoded);
    }

    @Override
    public Object decodeFromWire(int pos, Buffer buffer) {
      int length = buffer.getInt(pos);
      return new JsonObject(buffer.slice(pos + 4, pos + 4 + length));
    }

    @Override
    public Object transform(HandOver handOver) {
      return handOver.body();
    }

    @Override
    public String name() {
      return CODEC_NAME;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
