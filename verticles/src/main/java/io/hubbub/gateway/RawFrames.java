package io.hubbub.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.impl.MessageWrite;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.nio.channels.ClosedChannelException;

/**
 * A live event written to many bridge sockets as one WebSocket frame encoded once. Vert.x's WebSocket encodes each
 * write anew: it copies the message into a new buffer, frames it, and allocates a header for it, socket by socket,
 * which was about a third of the gateway loop's own (Java) time in fan-out ({@code bench/README.md}). Here the whole
 * frame (header and payload) is built once in a direct buffer, and each socket's connection is handed a view of it,
 * through the connection's own write queue: so it is ordered with everything else Vert.x writes to that socket
 * (answers, error frames, pings), and its completion reports when the bytes reached the network, as Vert.x's writes
 * do.
 *
 * <p>Only for sockets of the raw WebSocket transport ({@code /eventbus/websocket}) without per-message compression:
 * SockJS's own transports frame messages their way, and a compressed socket compresses each message with the state of
 * its own stream. Those are written through their {@link SockJSSocket}, as are frames larger than the server's
 * WebSocket frame size, which Vert.x splits.
 *
 * <p>Used on the gateway verticle's event loop only.
 */
final class RawFrames {

  /** The raw WebSocket transport's path: the bridge's mount point and {@code /websocket}. */
  static final String RAW_PATH = GatewayVerticle.BRIDGE_PATH + "/websocket";
  private static final int FIN_BINARY = 0x82;

  private RawFrames() {
  }

  /** Where {@link #frame} bytes may be written for this socket; null when they must go through the socket. */
  static Lane lane(SockJSSocket socket) {
    RoutingContext context = socket.routingContext();
    HttpServerRequest request = context == null ? null : context.request();
    if (request == null || !RAW_PATH.equals(request.path())
      || !(request.connection() instanceof VertxConnection upgraded)) {
      return null;
    }
    ChannelPipeline pipeline = upgraded.channel().pipeline();
    // once upgraded, the pipeline frames WebSocket and its "handler" is the WebSocket connection's (Vert.x replaces
    // the HTTP one before the socket exists; checked all the same, as these bytes are WebSocket frames)
    if (pipeline.get(WebSocketFrameEncoder.class) == null || !(pipeline.get("handler") instanceof VertxHandler<?> handler)
      || !(pipeline.get(TurnFlush.NAME) instanceof TurnFlush turns)) {
      return null;
    }
    for (var entry : pipeline) {
      if (entry.getValue() instanceof WebSocketExtensionEncoder) {
        return null; // per-message deflate: each message through the socket's own compressor
      }
    }
    return new Lane(handler.getConnection(), turns);
  }

  /** The whole WebSocket frame of one unfragmented binary message (a server's: unmasked), in a direct buffer. */
  static ByteBuf frame(ByteBufAllocator allocator, Buffer payload) {
    ByteBuf bytes = ((BufferInternal) payload).getByteBuf();
    int length = bytes.readableBytes();
    int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    ByteBuf frame = allocator.directBuffer(header + length);
    frame.writeByte(FIN_BINARY);
    if (length < 126) {
      frame.writeByte(length);
    } else if (length <= 0xFFFF) {
      frame.writeByte(126).writeShort(length);
    } else {
      frame.writeByte(127).writeLong(length);
    }
    return frame.writeBytes(bytes);
  }

  /** One socket's WebSocket connection, written past Vert.x's WebSocket. */
  static final class Lane {
    private final VertxConnection connection;
    private final TurnFlush turns;

    private Lane(VertxConnection connection, TurnFlush turns) {
      this.connection = connection;
      this.turns = turns;
    }

    /** The connection's allocator, for the shared frame. */
    ByteBufAllocator alloc() {
      return connection.channel().alloc();
    }

    /** False once the connection closed or wrote its close frame: no data frame may follow that. */
    boolean open() {
      return connection.channel().isActive() && !turns.closing();
    }

    /**
     * Queues {@code frame} (not consumed: this socket gets its own view); {@code done} once written or failed. A frame
     * that comes out of the queue behind the connection's close frame (queued while the socket was slow) is dropped,
     * and one Vert.x drops with its queue (the connection closed first) too: each releases its view, as Netty releases
     * only what reaches it.
     */
    void write(ByteBuf frame, ChannelFutureListener done) {
      ByteBuf view = frame.retainedDuplicate();
      ChannelPromise promise = connection.channelHandlerContext().newPromise().addListener(done);
      connection.writeToChannel(new MessageWrite() {
        @Override
        @SuppressWarnings("FutureReturnValueIgnored") // it answers the promise it is given, which reports
        public void write() {
          if (turns.closing()) {
            cancel(new ClosedChannelException());
          } else {
            connection.write(view, false, promise);
          }
        }

        @Override
        public void cancel(Throwable cause) {
          view.release();
          promise.setFailure(cause);
        }
      });
    }
  }
}
