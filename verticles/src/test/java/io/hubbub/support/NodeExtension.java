package io.hubbub.support;

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
 * its own and put in the test's {@link TestNode} field; after it (and after the test's own {@code @AfterEach}),
 * the node stops and its Vert.x closes.
 *
 * <pre>{@code
 * @RegisterExtension
 * final NodeExtension running = NodeExtension.with(conf -> conf.getJsonObject("chat").put("typingSeconds", 1));
 * private TestNode node;
 * }</pre>
 */
public final class NodeExtension implements BeforeEachCallback, AfterEachCallback {

  private final Consumer<JsonObject> changes;
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

  public TestNode get() {
    return node;
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    JsonObject conf = TestConf.node();
    changes.accept(conf);
    vertx = Vertx.vertx();
    node = TestNode.start(vertx, conf).await(60, TimeUnit.SECONDS);
    Object test = context.getRequiredTestInstance();
    for (Class<?> type = test.getClass(); type != Object.class; type = type.getSuperclass()) {
      for (Field field : type.getDeclaredFields()) {
        if (field.getType() == TestNode.class) {
          field.setAccessible(true);
          field.set(test, node);
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
