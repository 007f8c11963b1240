package io.hubbub;

import io.hubbub.conf.HubbubConf;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real clustered Vert.x instances in this JVM (Hazelcast, the clustered event bus, as {@link Node} builds them). A
 * route that lost an update — handed a list of registrations without a member, as when Hazelcast drops an entry event
 * — skips that member's consumers; a resync, and a membership change a few seconds before, route to it again.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ResyncedClusterManagerTest {

  private static final String ADDRESS = "test.routes";

  private final String name = "routes-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<Integer> ports = new ArrayList<>();
  private final List<Vertx> members = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (Vertx vertx : members) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aRouteThatLostAMemberIsRepairedByAResyncAndByTheNextMembershipChange() throws Exception {
    for (int i = 0; i < 3; i++) {
      try (ServerSocket socket = new ServerSocket(0)) {
        ports.add(socket.getLocalPort());
      }
    }
    Vertx a = member(0);
    Vertx b = member(1);
    List<Object> atA = new CopyOnWriteArrayList<>();
    List<Object> atB = new CopyOnWriteArrayList<>();
    a.eventBus().consumer(ADDRESS, m -> atA.add(m.body())).completion().await(10, TimeUnit.SECONDS);
    b.eventBus().consumer(ADDRESS, m -> atB.add(m.body())).completion().await(10, TimeUnit.SECONDS);
    reaches(a, atB, "before");

    ResyncedClusterManager manager = (ResyncedClusterManager) ((VertxInternal) a).clusterManager();
    String bNode = ((VertxInternal) b).clusterManager().getNodeId();
    loseB(manager, bNode);
    a.eventBus().publish(ADDRESS, "lost");
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> atA.contains("lost"));
    Thread.sleep(500);
    assertFalse(atB.contains("lost"), "a route without b skips b: " + atB);

    assertTrue(manager.resync().await(30, TimeUnit.SECONDS) >= 1, "the address was read again");
    a.eventBus().publish(ADDRESS, "resynced");
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> atB.contains("resynced"));

    loseB(manager, bNode);
    a.eventBus().publish(ADDRESS, "lost again");
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> atA.contains("lost again"));
    member(2); // a member joins: a resync follows within seconds
    reaches(a, atB, "after a member joined");
  }

  /** Hands a's route the registrations without b's, as a lost entry event leaves it. */
  private static void loseB(ResyncedClusterManager manager, String bNode) throws Exception {
    io.vertx.core.Promise<List<RegistrationInfo>> found = io.vertx.core.Promise.promise();
    manager.getRegistrations(ADDRESS, found);
    List<RegistrationInfo> all = found.future().await(10, TimeUnit.SECONDS);
    assertEquals(2, all.size(), "a and b registered: " + all);
    manager.routes().registrationsUpdated(new RegistrationUpdateEvent(ADDRESS,
      all.stream().filter(r -> !r.nodeId().equals(bNode)).toList()));
  }

  /** Publishes from {@code from} until b's consumer gets one. */
  private static void reaches(Vertx from, List<Object> atB, String when) {
    Awaitility.await(when).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      from.eventBus().publish(ADDRESS, when);
      return atB.contains(when);
    });
  }

  private Vertx member(int index) throws Exception {
    JsonObject cluster = new JsonObject()
      .put("enabled", true)
      .put("name", name)
      .put("host", "127.0.0.1")
      .put("port", ports.get(index))
      .put("members", new JsonArray(ports.stream().map(p -> (Object) ("127.0.0.1:" + p)).toList()));
    Vertx vertx = Node.newVertx(HubbubConf.of(new JsonObject().put("cluster", cluster))).await(60, TimeUnit.SECONDS);
    members.add(vertx);
    return vertx;
  }
}
