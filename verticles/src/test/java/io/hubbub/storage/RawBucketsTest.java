package io.hubbub.storage;

import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandSucceededEvent;
import io.hubbub.support.TestStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.FutureInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.WriteOption;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The driver's own client answers on the context that asked, as vertx-mongo-client does: the listeners of an answer
 * run there, and so does a timeout put on it (storage bounds every store call by one, {@link StoreCalls#guard}).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class RawBucketsTest {

  /** Added to from a test's event loop too. */
  private final List<RawBuckets> clients = new CopyOnWriteArrayList<>();
  private ServerSocket silent;

  @AfterEach
  void close(Vertx vertx) throws Exception {
    for (RawBuckets client : clients) {
      vertx.executeBlocking(() -> {
        client.close();
        return null;
      }).await();
    }
    if (silent != null) {
      silent.close();
    }
  }

  @Test
  void anInsertAndAFindAreAnsweredOnTheContextThatAsked(Vertx vertx, VertxTestContext ctx) {
    RawBuckets raw = client(vertx, TestStore.uri());
    Context context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      Future<Void> inserted = raw.insert(List.of(new JsonObject().put("_id", "s|1").put("n", 1)), WriteOption.JOURNALED);
      ctx.verify(() -> assertSame(context, ((FutureInternal<Void>) inserted).context(), "the answer is the caller's context's"));
      inserted.compose(done -> {
          ctx.verify(() -> assertSame(context, Vertx.currentContext()));
          return raw.find(List.of("s|1", "s|2"), "n");
        })
        .onComplete(ctx.succeeding(found -> ctx.verify(() -> {
          assertSame(context, Vertx.currentContext());
          assertEquals(1, found.size());
          assertEquals(1, found.get(0).getInt32("n").getValue());
          ctx.completeNow();
        })));
    });
  }

  /**
   * A store that never answers: the timeout fires on the caller's context. (A future of no context would time out on
   * Netty's global executor, a thread woken for every call, and its listeners would run there.)
   */
  @Test
  void aTimeoutOnAnAnswerFiresOnTheContextThatAsked(Vertx vertx, VertxTestContext ctx) throws IOException {
    silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress()); // connections wait in its backlog, never read
    RawBuckets raw = client(vertx, "mongodb://127.0.0.1:" + silent.getLocalPort());
    Context context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      Future<List<RawBsonDocument>> found = raw.find(List.of("s|1"));
      found.timeout(200, TimeUnit.MILLISECONDS).onComplete(ctx.failing(failure -> ctx.verify(() -> {
        assertInstanceOf(TimeoutException.class, failure);
        assertSame(context, Vertx.currentContext(), "the timeout fired on " + Thread.currentThread().getName());
        ctx.completeNow();
      })));
    });
  }

  /**
   * Made on an event loop (as storage's verticle makes it), the client reads the store's answers on that loop, so an
   * answer goes on where it was read instead of being handed from another loop to the one that asked.
   */
  @Test
  void madeOnAnEventLoopItReadsItsAnswersOnThatLoop(Vertx vertx, VertxTestContext ctx) {
    Set<String> readers = ConcurrentHashMap.newKeySet();
    CommandListener commands = new CommandListener() {
      @Override
      public void commandSucceeded(CommandSucceededEvent event) {
        if (event.getCommandName().equals("insert")) {
          readers.add(Thread.currentThread().getName());
        }
      }
    };
    Context context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      String loop = Thread.currentThread().getName();
      RawBuckets raw = new RawBuckets(vertx, TestStore.uri(), TestStore.freshDatabase(), 10_000, 2, commands);
      clients.add(raw);
      Future<Void> inserts = Future.succeededFuture();
      for (int i = 1; i <= 10; i++) {
        JsonObject document = new JsonObject().put("_id", "s|" + i).put("n", i);
        inserts = inserts.compose(done -> raw.insert(List.of(document), WriteOption.JOURNALED));
      }
      inserts.onComplete(ctx.succeeding(done -> ctx.verify(() -> {
        assertEquals(Set.of(loop), readers, "the threads that read the answers");
        ctx.completeNow();
      })));
    });
  }

  private RawBuckets client(Vertx vertx, String uri) {
    RawBuckets raw = new RawBuckets(vertx, uri, TestStore.freshDatabase(), 10_000, 2);
    clients.add(raw);
    return raw;
  }
}
