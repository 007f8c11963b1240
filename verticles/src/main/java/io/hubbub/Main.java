package io.hubbub;

import io.hubbub.conf.Conf;
import io.hubbub.conf.ConfException;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code java -jar hubbub.jar}: reads the conf ({@code HUBBUB_CONF}, default {@code conf/hubbub.json},
 * with the environment's overrides), starts the node, and on SIGTERM or SIGINT stops it gracefully
 * (a shutdown hook) and exits 0. A bad conf stops start-up with one line on stderr and exit code 2; a node that cannot run
 * (a port taken, a data folder in use, a store that does not answer) with one line and exit code 1. A node
 * dropped from its cluster after a pause ({@link ClusterGuard}) exits with code 3, for its supervisor to restart it.
 * With arguments it runs one of the data tools instead ({@link Tools}: {@code export}, {@code import}).
 */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);
  private static final long STOP_TIMEOUT_S = 30;
  private static final AtomicBoolean STOPPING = new AtomicBoolean();

  private Main() {
  }

  public static void main(String[] args) {
    if (args.length > 0) {
      System.exit(Tools.run(args));
      return;
    }
    HeapSizing.keepHeap();
    String file = System.getenv().getOrDefault(Conf.CONF_VARIABLE, Conf.DEFAULT_FILE);
    Vertx vertx = null;
    Node node;
    int eventLoops;
    try {
      HubbubConf conf = readConf(file, true);
      eventLoops = conf.threads().eventLoopsToStart();
      vertx = await(Node.newVertx(conf));
      node = await(Node.start(vertx, conf));
    } catch (Exception e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      if (vertx != null) {
        vertx.close();
      }
      if (cause instanceof ConfException) {
        System.err.println("hubbub: bad conf: " + cause.getMessage());
        System.exit(2);
      }
      if (cause instanceof StartupException) {
        System.err.println("hubbub: cannot start: " + cause.getMessage());
        System.exit(1);
      }
      log.error("start-up failed", cause);
      System.exit(1);
      return;
    }
    var unused = ClusterGuard.of(node.vertx()).dropped().thenAccept(reason -> {
      // its partitions and locks are the others' now: no graceful stop, a fresh start rejoins the cluster
      STOPPING.set(true);
      System.err.println("hubbub: dropped from the cluster: " + reason + "; exiting (code 3) for its supervisor to start it again");
      System.exit(3);
    });
    // SIGTERM and SIGINT (Ctrl-C) run the JVM's shutdown hooks: this one stops the node gracefully
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(node), "hubbub-stop"));
    log.info("hubbub started [conf: {}, event loops: {}]", file, eventLoops);
  }

  /**
   * Reads the conf with a short-lived Vert.x (the node's own may be clustered, which the conf decides) and, for a node
   * about to start, runs the {@link Preflight} checks: joining is for a node that can run. The data tools read it the
   * same way, without them.
   */
  static HubbubConf readConf(String file, boolean preflight) throws Exception {
    Vertx bootstrap = Vertx.vertx();
    try {
      HubbubConf conf = HubbubConf.of(await(Conf.load(bootstrap, file)));
      if (preflight) {
        await(Preflight.check(bootstrap, conf));
      }
      return conf;
    } finally {
      await(bootstrap.close());
    }
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get();
  }

  /**
   * In the shutdown hook: undeploys the verticles in order and closes the store, then ends the process with 0
   * (1 if the stop failed), not the 143 of a JVM ended by SIGTERM: a stop that was asked for is a success.
   */
  private static void stop(Node node) {
    if (!STOPPING.compareAndSet(false, true)) {
      return; // the process is leaving for its own reason (dropped from the cluster)
    }
    log.info("stopping");
    int code = 0;
    try {
      node.stop().toCompletionStage().toCompletableFuture().get(STOP_TIMEOUT_S, TimeUnit.SECONDS);
      log.info("stopped");
    } catch (Exception e) {
      log.error("graceful stop failed", e);
      code = 1;
    }
    Runtime.getRuntime().halt(code);
  }
}
