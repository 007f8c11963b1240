package io.hubbub.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;

/**
 * One flush (one {@code write} system call) for all that an event-loop turn writes to a WebSocket, unless
 * {@value #MAX_UNFLUSHED_BYTES} bytes wait: then at once. Vert.x flushes after every write made outside a read of
 * the connection, so live fan-out made one system call per frame per socket; with this, the frames a turn writes
 * to a socket leave together. Netty's {@code FlushConsolidationHandler} does the same without the byte bound, which
 * let a burst of large events sit unflushed past the slow-consumer bound ({@code limits.liveQueueBytes}) and pause
 * sockets that were keeping up.
 *
 * <p>It also notes when the connection's close frame goes out, so that frames written past Vert.x's WebSocket
 * ({@link RawFrames}) stop there, as Vert.x's own writes do.
 */
@SuppressWarnings("FutureReturnValueIgnored") // Netty reports through the promise each call is given
final class TurnFlush extends ChannelDuplexHandler {

  static final String NAME = "hubbub-turn-flush";
  static final int MAX_UNFLUSHED_BYTES = 16 * 1024;

  private long unflushed;
  private boolean scheduled;
  /** The connection speaks WebSocket (it stays so once upgraded): only then are flushes gathered. */
  private boolean webSocket;
  private Runnable flushTask;
  /** A close frame was written: no data frame may follow it. */
  private boolean closing;

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    flushTask = () -> {
      scheduled = false;
      flushNow(ctx);
    };
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof CloseWebSocketFrame) {
      closing = true;
    }
    if (msg instanceof ByteBuf bytes) {
      unflushed += bytes.readableBytes();
    } else if (msg instanceof ByteBufHolder holder) {
      unflushed += holder.content().readableBytes();
    }
    ctx.write(msg, promise);
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    if (!webSocket && ctx.pipeline().get(WebSocketFrameEncoder.class) == null) {
      // plain HTTP (answers, files, event streams) flushes as Vert.x asks: gathering flushes there left an answer
      // unsent now and then once gzip's chunked writer was in the pipeline (DeliveryTest, 2 runs in 8)
      ctx.flush();
      return;
    }
    webSocket = true;
    if (unflushed >= MAX_UNFLUSHED_BYTES) {
      flushNow(ctx);
    } else if (!scheduled) {
      scheduled = true;
      ctx.executor().execute(flushTask); // after the tasks already queued: the rest of this turn's writes
    }
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    flushNow(ctx);
    ctx.close(promise);
  }

  @Override
  public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
    flushNow(ctx);
    ctx.disconnect(promise);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (!ctx.channel().isWritable()) {
      flushNow(ctx); // what waits here is not yet counted by the channel's own buffer
    }
    ctx.fireChannelWritabilityChanged();
  }

  /** Whether the connection has written its WebSocket close frame (on its event loop only). */
  boolean closing() {
    return closing;
  }

  private void flushNow(ChannelHandlerContext ctx) {
    unflushed = 0;
    ctx.flush();
  }
}
