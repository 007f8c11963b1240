package io.hubbub.support;

import io.hubbub.Node;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.reflect.Field;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A running node for each test: before it, the test conf (changed as the test asks) is started on a Vert.x of
 * its own and put in the test's {@link TestNode} field (and that Vert.x in its {@link Vertx} field, if it has
 * one); after it (and after the test's own {@code @AfterEach}), the node stops and its Vert.x closes.
 *
 * <pre>{@code
 * @RegisterExtension
 * final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("chat").put("typingSeconds", 1));
 * private TestNode node;
 * }</pre>
 */
public final class NodeExtension implements BeforeEachCallback, AfterEachCallback {

  private final Consumer<JsonObject> changes;
  private boolean metrics;
  private Vertx vertx;
  private TestNode node;

  private NodeExtension(Consumer<JsonObject> changes) {
    this.changes = changes;
  }

  /** Every verticle on the test conf. */
  public static NodeExtension node() {
    return with(conf -> { });
  }

  /** The test conf with these changes. */
  public static NodeExtension with(Consumer<JsonObject> changes) {
    return new NodeExtension(changes);
  }

  /** The node's Vert.x with the metrics of {@code /metrics} (for tests that read them). */
  public NodeExtension withMetrics() {
    metrics = true;
    return this;
  }

  public TestNode get() {
    return node;
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    JsonObject conf = TestConf.node();
    changes.accept(conf);
    vertx = metrics ? Node.newVertx() : Vertx.vertx();
    node = TestNode.start(vertx, conf).await(60, TimeUnit.SECONDS);
    Object test = context.getRequiredTestInstance();
    for (Class<?> type = test.getClass(); type != Object.class; type = type.getSuperclass()) {
      for (Field field : type.getDeclaredFields()) {
        if (field.getType() == TestNode.class || field.getType() == Vertx.class) {
          field.setAccessible(true);
          field.set(test, field.getType() == TestNode.class ? node : vertx);
        }
      }
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    try {
      if (node != null) {
        node.stop().await(60, TimeUnit.SECONDS);
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
