package io.hubbub.cluster;

import io.hubbub.Node;
import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Streams;
import io.hubbub.client.Response;
import io.hubbub.conf.HubbubConf;
import io.hubbub.support.TestCerts;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.hubbub.cluster.TestCluster.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PROTOCOL v1.1 "TLS and origins", cluster.tls: two real JVMs whose event bus is mutual TLS with certificates a
 * test CA signed work as one; a process that joins Hazelcast with a certificate the CA did not sign can neither
 * send on the event bus (its sign-up never reaches auth) nor receive from it (a stream's events never reach it).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterTlsIT {

  @TempDir
  Path dir;

  @Test
  void onlyNodesWithASignedCertificateTalkOnTheEventBus() throws Exception {
    TestCerts certs = TestCerts.authority(dir);
    try (TestCluster cluster = new TestCluster("storage-1", "edge-1")) {
      cluster.tls("storage-1", certs.signed("storage-1"));
      cluster.tls("edge-1", certs.signed("edge-1"));
      cluster.start("storage-1");
      cluster.start("edge-1");
      eventually("storage-1 owns every partition", () -> cluster.owners("edge-1").getOrDefault("storage-1", 0) == 64, 60);

      // gateway → auth → storage, across the two JVMs over TLS
      String token = cluster.signUpAndLogIn("edge-1", "erin");
      JsonObject event = new JsonObject().put("type", "SECURE").put("data", new JsonObject().put("n", 1));
      Response first = cluster.call("edge-1", "POST", "/api/streams/app.tls/events", token, event);
      assertEquals(201, first.status(), first.text());

      // one intruder speaks plain TCP (it would pass on a cluster without TLS), one presents a certificate the
      // CA did not sign (it would pass on a cluster whose nodes do not check client certificates)
      intrude(cluster, token, null, "mallory", 2);
      intrude(cluster, token, certs.selfSigned("intruder"), "oscar", 5);
    }
  }

  private void intrude(TestCluster cluster, String token, JsonObject tls, String name, int nextSeq) throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    JsonObject member = cluster.member(port);
    if (tls != null) {
      member.put("tls", tls);
    }
    Vertx intruder = Node.newVertx(HubbubConf.of(new JsonObject().put("cluster", member))).await(60, TimeUnit.SECONDS);
    try {
      eventually("the intruder is a Hazelcast member (Hazelcast's own port trusts anyone who reaches it)",
        () -> ((VertxInternal) intruder).clusterManager().getNodes().size() == 3, 30);
      List<Object> received = new CopyOnWriteArrayList<>();
      intruder.eventBus().consumer(Streams.LIVE_PREFIX + "app.tls", m -> received.add(m.body())).completion().await(10, TimeUnit.SECONDS);

      JsonObject signUp = new JsonObject().put("username", name).put("password", "intruder-password").put("remote", "127.0.0.1");
      Throwable refused = assertThrows(Exception.class, () -> intruder.eventBus()
        .request(AuthBus.REGISTER.address(), signUp, new DeliveryOptions().setSendTimeout(5_000)).await(20, TimeUnit.SECONDS));
      assertTrue(refused.getMessage() != null, "the intruder's send failed: " + refused);

      Thread.sleep(1_000); // the intruder's registration has spread through Hazelcast
      JsonObject event = new JsonObject().put("type", "SECURE");
      for (int i = 0; i < 3; i++) {
        Response next = cluster.call("edge-1", "POST", "/api/streams/app.tls/events", token,
          event.copy().put("data", new JsonObject().put("n", nextSeq + i)));
        assertEquals(201, next.status(), next.text());
      }
      Thread.sleep(2_000);
      assertEquals(List.of(), received, "nothing stored reaches a process without a signed certificate");

      Response real = cluster.call("edge-1", "POST", "/api/users", null,
        new JsonObject().put("username", name).put("password", "the-real-" + name));
      assertEquals(201, real.status(), "the intruder's sign-up never happened: " + real.text());
      assertEquals(nextSeq + 2, cluster.readAll("edge-1", "app.tls", token).size(), "the cluster kept working meanwhile");
    } finally {
      intruder.close().await(30, TimeUnit.SECONDS);
    }
  }
}
