package io.hubbub.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy in front of the store or a gateway, to cut it off and bring it back: {@link #cut()} closes the
 * listener and every connection, {@link #restore()} listens again on the same port.
 */
public final class TcpProxy {

  private final Vertx vertx;
  private final String targetHost;
  private final List<Integer> targetPorts;
  private final NetClient client;
  private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
  private final Set<NetSocket> backs = ConcurrentHashMap.newKeySet();
  private NetServer server;
  private int port;

  private String userInfo = "";
  private String options = "";

  private TcpProxy(Vertx vertx, String targetHost, List<Integer> targetPorts) {
    this.vertx = vertx;
    this.targetHost = targetHost;
    this.targetPorts = targetPorts;
    this.client = vertx.createNetClient();
  }

  /** A proxy to the host and port of a mongodb:// URI. */
  public static Future<TcpProxy> to(Vertx vertx, String mongoUri) {
    URI uri = URI.create(mongoUri);
    TcpProxy proxy = new TcpProxy(vertx, uri.getHost(), List.of(uri.getPort() < 0 ? 27017 : uri.getPort()));
    // the store's credentials and options go through the proxy too
    proxy.userInfo = uri.getRawUserInfo() == null ? "" : uri.getRawUserInfo() + "@";
    proxy.options = uri.getRawQuery() == null ? "" : uri.getRawQuery() + "&";
    return proxy.listen(0).map(proxy);
  }

  /** A proxy to any TCP port on this machine (e.g. a gateway, to cut a browser off). */
  public static Future<TcpProxy> to(Vertx vertx, int targetPort) {
    return to(vertx, List.of(targetPort));
  }

  /**
   * A proxy to the first of these ports that accepts a connection, tried in order for each new connection:
   * a load balancer with failover (e.g. two gateways: when the first dies, clients reconnect to the second).
   */
  public static Future<TcpProxy> to(Vertx vertx, List<Integer> targetPorts) {
    TcpProxy proxy = new TcpProxy(vertx, "127.0.0.1", List.copyOf(targetPorts));
    return proxy.listen(0).map(proxy);
  }

  public int port() {
    return port;
  }

  /** The URI of the store through this proxy. */
  public String uri() {
    return "mongodb://" + userInfo + "127.0.0.1:" + port + "/?" + options + "directConnection=true";
  }

  public Future<Void> cut() {
    NetServer closing = server;
    server = null;
    sockets.forEach(NetSocket::close);
    sockets.clear();
    return closing == null ? Future.succeededFuture() : closing.close();
  }

  public Future<Void> restore() {
    return listen(port).mapEmpty();
  }

  /** Stops reading what the target sends (a client that stalls): its writes back up in TCP buffers. */
  public void stall() {
    backs.forEach(NetSocket::pause);
  }

  /** Reads what the target sends again. */
  public void flow() {
    backs.forEach(NetSocket::resume);
  }

  public Future<Void> close() {
    return cut().eventually(client::close);
  }

  private Future<Integer> listen(int onPort) {
    server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(onPort).setReuseAddress(true));
    server.connectHandler(this::accept);
    return server.listen().map(s -> port = s.actualPort());
  }

  private void accept(NetSocket front) {
    front.pause();
    sockets.add(front);
    connect(0).onComplete(ar -> {
      if (ar.failed()) {
        front.close();
        return;
      }
      NetSocket back = ar.result();
      sockets.add(back);
      backs.add(back);
      front.pipeTo(back);
      back.pipeTo(front);
      front.closeHandler(v -> back.close());
      back.closeHandler(v -> {
        backs.remove(back);
        front.close();
      });
      front.resume();
    });
  }

  private Future<NetSocket> connect(int index) {
    return client.connect(targetPorts.get(index), targetHost)
      .recover(failure -> index + 1 < targetPorts.size() ? connect(index + 1) : Future.failedFuture(failure));
  }
}
