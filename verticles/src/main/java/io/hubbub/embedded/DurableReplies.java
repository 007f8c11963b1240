package io.hubbub.embedded;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

import java.util.concurrent.CompletableFuture;

/**
 * Holds the reply to a journaled write until its journal record is durable, without holding the connection's
 * thread: mongo-java-server answers a command on the thread that read it, so the backend marks the channel with
 * the write's future ({@link #awaitDurable}) and this handler, the last of the pipeline, sends the reply when the
 * future completes. A write whose record cannot be made durable is never answered: its connection is closed, and
 * the client learns that the outcome is unknown.
 */
@SuppressWarnings("FutureReturnValueIgnored") // Netty's writes report through the promise they are given
final class DurableReplies extends ChannelOutboundHandlerAdapter {

  private static final String NAME = "hubbub-durable-replies";
  private static final AttributeKey<CompletableFuture<Void>> PENDING = AttributeKey.valueOf("hubbub.durable");

  private DurableReplies() {
  }

  /** The channel's next reply waits for {@code durable}; called on the channel's thread, before the reply is written. */
  static void awaitDurable(Channel channel, CompletableFuture<Void> durable) {
    if (channel.pipeline().get(NAME) == null) {
      channel.pipeline().addLast(NAME, new DurableReplies());
    }
    channel.attr(PENDING).set(durable);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    CompletableFuture<Void> durable = ctx.channel().attr(PENDING).getAndSet(null);
    if (durable == null || (durable.isDone() && !durable.isCompletedExceptionally())) {
      ctx.write(msg, promise);
      return;
    }
    durable.whenComplete((ok, failure) -> ctx.executor().execute(() -> {
      if (failure == null) {
        ctx.writeAndFlush(msg, promise);
      } else {
        ReferenceCountUtil.release(msg);
        promise.tryFailure(failure);
        ctx.close();
      }
    }));
  }
}
