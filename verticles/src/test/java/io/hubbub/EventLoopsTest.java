package io.hubbub;

import io.hubbub.conf.HubbubConf;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A node's verticles share the event loops its conf's {@code threads.eventLoops} asks for: real Vert.x, as {@link Node} builds it. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class EventLoopsTest {

  private Vertx vertx;

  @AfterEach
  void close() throws Exception {
    if (vertx != null) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** The threads that eight verticle instances, deployed as a node deploys them, start on. */
  private Set<String> threadsOfEightInstances(int eventLoops) throws Exception {
    HubbubConf conf = HubbubConf.of(new JsonObject().put("threads", new JsonObject().put("eventLoops", eventLoops)));
    vertx = Node.newVertx(conf).await(30, TimeUnit.SECONDS);
    Set<String> threads = ConcurrentHashMap.newKeySet();
    vertx.deployVerticle(() -> new AbstractVerticle() {
      @Override
      public void start() {
        threads.add(Thread.currentThread().getName());
      }
    }, new DeploymentOptions().setInstances(8)).await(30, TimeUnit.SECONDS);
    return threads;
  }

  @Test
  void oneLoopRunsEveryVerticle() throws Exception {
    assertEquals(1, threadsOfEightInstances(1).size());
  }

  @Test
  void theLoopsAskedForAreShared() throws Exception {
    assertEquals(3, threadsOfEightInstances(3).size());
  }

  @Test
  void byDefaultOneLoopACore() throws Exception {
    assertEquals(Math.min(8, Runtime.getRuntime().availableProcessors()), threadsOfEightInstances(0).size());
  }
}
