package io.hubbub.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.channel.local.LocalServerChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Flushes once a turn, or at once past the byte bound: a real event loop (Netty's in-process transport), a handler
 * below {@link TurnFlush} counting the flushes that reach the channel, and a peer counting what arrives.
 */
@SuppressWarnings("FutureReturnValueIgnored") // Netty reports through the promises; the test reads the counters
class TurnFlushTest {

  private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(1);
  private final AtomicInteger flushes = new AtomicInteger();
  /** Bytes the peer read. */
  private final AtomicInteger received = new AtomicInteger();

  @AfterEach
  void stop() throws Exception {
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private Channel connect() throws Exception {
    return connect(true);
  }

  /** A channel whose flushes are counted, TurnFlush last; {@code webSocket}: as a connection once upgraded. */
  private Channel connect(boolean webSocket) throws Exception {
    LocalAddress address = new LocalAddress("turn-flush-" + System.nanoTime());
    new ServerBootstrap().group(loops).channel(LocalServerChannel.class).childHandler(new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        received.addAndGet(((ByteBuf) msg).readableBytes()); // bytes: the transport may hand several writes over as one
        ReferenceCountUtil.release(msg);
      }
    }).bind(address).sync();
    return new Bootstrap().group(loops).channel(LocalChannel.class).handler(new ChannelInitializer<LocalChannel>() {
      @Override
      protected void initChannel(LocalChannel ch) {
        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
          @Override
          public void flush(ChannelHandlerContext ctx) {
            flushes.incrementAndGet();
            ctx.flush();
          }
        });
        if (webSocket) {
          ch.pipeline().addLast(new WebSocket13FrameEncoder(false)); // frames pass as they are; it marks a WebSocket
        }
        ch.pipeline().addLast(new TurnFlush());
      }
    }).connect(address).sync().channel();
  }

  /** Runs {@code writes} as one task of the channel's event loop; answers the flushes counted at its end. */
  private int inOneTurn(Channel channel, Runnable writes) throws Exception {
    CompletableFuture<Integer> during = new CompletableFuture<>();
    channel.eventLoop().execute(() -> {
      writes.run();
      during.complete(flushes.get());
    });
    return during.get(5, TimeUnit.SECONDS);
  }

  @Test
  void smallWritesOfOneTurnLeaveInOneFlush() throws Exception {
    Channel channel = connect();
    int during = inOneTurn(channel, () -> {
      for (int i = 0; i < 10; i++) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[100]));
      }
    });
    assertThat(during).as("no flush before the turn ends").isZero();
    await().atMost(5, TimeUnit.SECONDS).until(() -> received.get() == 1_000);
    assertThat(flushes.get()).as("one flush for the turn's ten writes").isEqualTo(1);
    channel.close().sync();
  }

  @Test
  void manyBytesAreFlushedWithoutWaitingForTheTurn() throws Exception {
    Channel channel = connect();
    int during = inOneTurn(channel, () -> {
      channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[1_000]));
      channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[TurnFlush.MAX_UNFLUSHED_BYTES]));
      channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[10]));
    });
    assertThat(during).as("past the bound: flushed in the turn").isEqualTo(1);
    await().atMost(5, TimeUnit.SECONDS).until(() -> received.get() == 1_010 + TurnFlush.MAX_UNFLUSHED_BYTES);
    assertThat(flushes.get()).as("and the rest at its end").isEqualTo(2);
    channel.close().sync();
  }

  @Test
  void plainHttpFlushesAsItIsAsked() throws Exception {
    Channel channel = connect(false);
    int during = inOneTurn(channel, () -> {
      for (int i = 0; i < 3; i++) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[100]));
      }
    });
    assertThat(during).as("an HTTP answer is not held for the turn").isEqualTo(3);
    await().atMost(5, TimeUnit.SECONDS).until(() -> received.get() == 300);
    channel.close().sync();
  }

  @Test
  void closingFlushesWhatWaits() throws Exception {
    Channel channel = connect();
    inOneTurn(channel, () -> {
      channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[10]));
      channel.close();
    });
    await().atMost(5, TimeUnit.SECONDS).until(() -> received.get() == 10);
  }

  @Test
  void itNotesTheCloseFrameThatNoDataFrameMayFollow() throws Exception {
    Channel channel = connect();
    TurnFlush turns = channel.pipeline().get(TurnFlush.class);
    CompletableFuture<List<Boolean>> seen = new CompletableFuture<>();
    channel.eventLoop().execute(() -> {
      List<Boolean> closing = new ArrayList<>();
      channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[10])));
      closing.add(turns.closing());
      channel.writeAndFlush(new CloseWebSocketFrame(1001, "going away"));
      closing.add(turns.closing());
      seen.complete(closing);
    });
    assertThat(seen.get(5, TimeUnit.SECONDS)).containsExactly(false, true);
    channel.close().sync();
  }
}
