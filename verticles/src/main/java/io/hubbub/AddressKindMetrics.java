package io.hubbub;

import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;

/**
 * Vert.x metrics (vertx-micrometer's, {@code delegate}) whose event-bus meters see each address as its kind
 * ({@link Node#addressKind}): one series for all live streams, all rooms' presence, each storage and sensors operation
 * over all partitions; everything else as it is.
 *
 * <p>The address is folded before Micrometer sees it, not by a meter filter: Micrometer remembers a meter by the tags
 * it was asked for only when it creates it, so with a filter every message on an address other than the first of its
 * kind ran the filters and a second lookup — 5% of the server's CPU samples under the fleet benchmark.
 */
final class AddressKindMetrics implements VertxMetricsFactory {

  private final VertxMetricsFactory delegate;

  AddressKindMetrics(VertxMetricsFactory delegate) {
    this.delegate = delegate;
  }

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    return new Folded(delegate.metrics(options));
  }

  @Override
  public MetricsOptions newOptions() {
    return delegate.newOptions();
  }

  @Override
  public MetricsOptions newOptions(MetricsOptions options) {
    return delegate.newOptions(options);
  }

  @Override
  public MetricsOptions newOptions(JsonObject json) {
    return delegate.newOptions(json);
  }

  /** Vert.x's internal addresses ({@code __vertx.*}) pass as they are: vertx-micrometer leaves them out. */
  static String kind(String address) {
    return address.startsWith("__vertx.") ? address : Node.addressKind(address);
  }

  private record Folded(VertxMetrics metrics) implements VertxMetrics {

    @Override
    public EventBusMetrics<?> createEventBusMetrics() {
      EventBusMetrics<?> bus = metrics.createEventBusMetrics();
      return bus == null ? null : new FoldedBus<>(bus);
    }

    @Override
    public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress localAddress) {
      return metrics.createHttpServerMetrics(options, localAddress);
    }

    @Override
    public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remoteAddress, String type, String namespace) {
      return metrics.createClientMetrics(remoteAddress, type, namespace);
    }

    @Override
    public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
      return metrics.createHttpClientMetrics(options);
    }

    @Override
    public TCPMetrics<?> createNetServerMetrics(NetServerOptions options, SocketAddress localAddress) {
      return metrics.createNetServerMetrics(options, localAddress);
    }

    @Override
    public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
      return metrics.createNetClientMetrics(options);
    }

    @Override
    public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
      return metrics.createDatagramSocketMetrics(options);
    }

    @Override
    public PoolMetrics<?, ?> createPoolMetrics(String type, String name, int maxSize) {
      return metrics.createPoolMetrics(type, name, maxSize);
    }

    @Override
    public void vertxCreated(io.vertx.core.Vertx vertx) {
      metrics.vertxCreated(vertx);
    }

    @Override
    public boolean isMetricsEnabled() {
      return metrics.isMetricsEnabled();
    }

    @Override
    public void close() {
      metrics.close();
    }
  }

  private record FoldedBus<H>(EventBusMetrics<H> bus) implements EventBusMetrics<H> {

    @Override
    public H handlerRegistered(String address) {
      return bus.handlerRegistered(kind(address));
    }

    @Override
    public void handlerUnregistered(H handler) {
      bus.handlerUnregistered(handler);
    }

    @Override
    public void scheduleMessage(H handler, boolean local) {
      bus.scheduleMessage(handler, local);
    }

    @Override
    public void discardMessage(H handler, boolean local, Message<?> msg) {
      bus.discardMessage(handler, local, msg);
    }

    @Override
    public void messageDelivered(H handler, boolean local) {
      bus.messageDelivered(handler, local);
    }

    @Override
    public void messageSent(String address, boolean publish, boolean local, boolean remote) {
      bus.messageSent(kind(address), publish, local, remote);
    }

    @Override
    public void messageReceived(String address, boolean publish, boolean local, int handlers) {
      bus.messageReceived(kind(address), publish, local, handlers);
    }

    @Override
    public void messageWritten(String address, int numberOfBytes) {
      bus.messageWritten(kind(address), numberOfBytes);
    }

    @Override
    public void messageRead(String address, int numberOfBytes) {
      bus.messageRead(kind(address), numberOfBytes);
    }

    @Override
    public void replyFailure(String address, ReplyFailure failure) {
      bus.replyFailure(kind(address), failure);
    }

    @Override
    public void close() {
      bus.close();
    }
  }
}
