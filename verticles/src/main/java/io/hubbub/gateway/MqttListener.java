package io.hubbub.gateway;

import io.hubbub.Node;
import io.hubbub.bus.AuditBus;
import io.hubbub.bus.AuthBus;
import io.hubbub.bus.Failures;
import io.hubbub.bus.SensorsBus;
import io.hubbub.bus.Streams;
import io.hubbub.bus.Topic;
import io.hubbub.conf.HubbubConf;
import io.micrometer.core.instrument.Gauge;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttServerOptions;
import io.vertx.mqtt.MqttTopicSubscription;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRecReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Devices over MQTT 3.1.1 and 5 (vertx-mqtt): a device connects with its id as user name (or, without one, as
 * client id) and its key as password, publishes readings — the JSON of {@code POST /api/sensors/{id}/readings}, one
 * or an array — to {@code sensor/<id>/readings}, and may subscribe to its alerts on {@code sensor/<id>/alerts}.
 *
 * <p>QoS 1 is acknowledged (PUBACK) only once the readings are durably stored, in the order they were published;
 * QoS 0 is stored the same way, unacknowledged; QoS 2 is served as QoS 1 — PUBREC once stored, PUBCOMP on PUBREL —
 * so a reading published twice without an {@code id} may be stored twice (give readings ids for exactly once).
 * A publish that cannot be taken gets what each version lets a client understand: MQTT 5 a PUBACK (or PUBREC) with
 * its reason code (0x87 another device's topic, 0x90 any other topic, 0x99 bad JSON or readings or too large,
 * 0x97 too many), MQTT 3.1.1 the connection closed, as 3.1.1 has no negative acknowledgement. Either way the
 * refusal is a line in {@code audit.access} (sampled), never a stack trace. When storage cannot answer (503,
 * timeout) nothing is acknowledged and the connection is closed, so the client publishes again when it reconnects.
 * Alerts go out at QoS 0 (granted 0 whatever was asked): the {@code alerts.<id>} stream holds them all over HTTP.
 * A revoked key or deleted device ends its connections. A device that hangs up while its key is looked up is
 * answered nothing (its refusal still goes to the trail). {@code hubbub_mqtt_connections} counts the accepted ones open.
 *
 * <p>One connection a device's client id, as MQTT asks: once a connection is accepted, {@link #SESSIONS} tells every
 * gateway of the cluster, and any other connection of that device with that client id ends — MQTT 5 with DISCONNECT
 * 0x8E (session taken over), 3.1.1 closed. A device that lost its network without a word is thus replaced at once
 * when it reconnects, not after its keep-alive; another device's connection with the same client id ends nothing.
 */
final class MqttListener {

  private static final Logger log = LoggerFactory.getLogger(MqttListener.class);
  static final String PREFIX = "sensor/";
  private static final int CONNECT_TIMEOUT_S = 10;
  /** Room for the PUBLISH header and topic beside the payload, so an oversized payload is answered, not cut off. */
  private static final int HEADER_ROOM = 1_024;

  /** A device's connection accepted, on any gateway: the device's other connections with that client id end. */
  static final Topic<Session> SESSIONS = new Topic<>("gateway.mqtt.sessions", Session::toJson, Session::fromJson);

  private final Vertx vertx;
  private final Principals principals;
  private final HubbubConf.Mqtt conf;
  private final StreamAccess streams;
  /** The accepted connections open, by device: a connection accepted looks up its device's others, not everyone's. */
  private final Map<String, List<Connection>> connections = new HashMap<>();
  private MqttServer server;
  private MessageConsumer<?> revocations;
  private MessageConsumer<?> sessions;

  MqttListener(Vertx vertx, Principals principals, StreamAccess streams, HubbubConf.Mqtt conf) {
    this.vertx = vertx;
    this.principals = principals;
    this.conf = conf;
    this.streams = streams;
    Gauge.builder("hubbub.mqtt.connections", this, listener -> listener.all().size()).tag("verticle", Node.meterInstance("gateway"))
      .description("MQTT device connections accepted and open").register(Node.registry());
  }

  Future<MqttServer> listen(String host, HubbubConf.Tls tls) {
    MqttServerOptions options = new MqttServerOptions().setHost(host)
      .setPort(GatewayVerticle.sharedPort(conf.port(), GatewayVerticle.MQTT_RANDOM_PORT))
      .setMaxMessageSize(maxPacketBytes()).setTimeoutOnConnect(CONNECT_TIMEOUT_S);
    if (tls.enabled()) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.cert()).setKeyPath(tls.key()));
    }
    revocations = AuthBus.REVOKED.consumer(vertx.eventBus(), ended -> all().stream()
      .filter(c -> c.device.equals(ended.device()) || c.key.equals(ended.token()))
      .forEach(Connection::close));
    server = MqttServer.create(vertx, options)
      .endpointHandler(this::connect)
      .exceptionHandler(failure -> log.debug("mqtt connection failed [error: {}]", failure.toString()));
    sessions = SESSIONS.consumer(vertx.eventBus(), taken -> List.copyOf(connections.getOrDefault(taken.device(), List.of()))
      .stream()
      .filter(c -> c.clientId.equals(taken.clientId()) && !c.id.equals(taken.connection()))
      .forEach(Connection::takenOver));
    return revocations.completion().compose(v -> sessions.completion()).compose(v -> server.listen());
  }

  /** Every accepted connection open (a copy: ending one changes the map). */
  private List<Connection> all() {
    return connections.values().stream().flatMap(List::stream).toList();
  }

  /** The largest packet the decoder reads: a payload's limit plus room for the PUBLISH header and topic. */
  private int maxPacketBytes() {
    return conf.maxPayloadBytes() + HEADER_ROOM;
  }

  /** Closes the devices' connections and stops listening (the server itself closes with its verticle). */
  Future<Void> close() {
    all().forEach(Connection::close);
    return Future.join(revocations == null ? Future.succeededFuture() : revocations.unregister(),
      sessions == null ? Future.succeededFuture() : sessions.unregister()).mapEmpty();
  }

  private void connect(MqttEndpoint endpoint) {
    boolean v5 = endpoint.protocolVersion() == 5;
    String remote = endpoint.remoteAddress() == null ? "" : endpoint.remoteAddress().hostAddress();
    String user = endpoint.auth() == null ? null : endpoint.auth().getUsername();
    String device = user != null && !user.isEmpty() ? user : endpoint.clientIdentifier();
    String key = endpoint.auth() == null ? null : endpoint.auth().getPassword();
    endpoint.exceptionHandler(failure -> log.debug("mqtt connection failed [device: {}, error: {}]", device, failure.toString()));
    // vertx-mqtt throws when a closed endpoint is answered or given handlers: a device may hang up during the lookup
    AtomicBoolean gone = new AtomicBoolean();
    endpoint.closeHandler(v -> gone.set(true));
    if (key == null || key.isEmpty() || device == null || !Streams.isKey(device)) {
      refuseConnect(endpoint, v5, remote, device, Failures.of(Failures.UNAUTHORIZED,
        "connect with the device id as user name (or client id) and its key as password"));
      return;
    }
    principals.resolve("Bearer " + key).onComplete(found -> {
      if (found.failed()) {
        refuseConnect(gone.get() ? null : endpoint, v5, remote, device, found.cause());
      } else if (found.result() == null || !AuthBus.KIND_DEVICE.equals(found.result().getString("kind"))
          || !device.equals(found.result().getString("name"))) {
        refuseConnect(gone.get() ? null : endpoint, v5, remote, device,
          Failures.of(Failures.UNAUTHORIZED, "that key is not the key of device '" + device + "'"));
      } else if (gone.get()) {
        log.debug("mqtt device hung up before it was accepted [device: {}]", device);
      } else {
        Connection connection = new Connection(endpoint, device, key, remote, v5);
        connections.computeIfAbsent(device, d -> new ArrayList<>(1)).add(connection);
        connection.start();
      }
    });
  }

  /** The refusal in the trail, and its CONNACK unless the device hung up already ({@code endpoint} null). */
  private void refuseConnect(MqttEndpoint endpoint, boolean v5, String remote, String device, Throwable failure) {
    int code = Failures.code(failure);
    AuditBus.refusedPacket(vertx.eventBus(), device == null ? "" : device, remote, "mqtt CONNECT", failure);
    if (endpoint == null) {
      return;
    }
    MqttConnectReturnCode answer;
    if (code == Failures.UNAUTHORIZED || code == Failures.FORBIDDEN) {
      answer = v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USERNAME_OR_PASSWORD
        : MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
    } else {
      answer = v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE_5
        : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE;
    }
    endpoint.reject(answer);
  }

  /** One device's connection: its publishes in order, its alert subscription. */
  private final class Connection {

    final MqttEndpoint endpoint;
    final String device;
    final String clientId;
    /** This connection among all of the cluster's, for {@link #SESSIONS}. */
    final String id = UUID.randomUUID().toString();
    final String key;
    final String remote;
    final boolean v5;
    final String readings;
    final String alerts;
    /** Acknowledgements owed, in the order the publishes came: each is sent once it and all before it are done. */
    private final ArrayDeque<Owed> owed = new ArrayDeque<>();
    private MessageConsumer<Object> alertConsumer;
    /** Closed, by the device or by this side: vertx-mqtt throws when a closed endpoint is closed again. */
    private boolean closed;

    Connection(MqttEndpoint endpoint, String device, String key, String remote, boolean v5) {
      this.endpoint = endpoint;
      this.device = device;
      this.clientId = endpoint.clientIdentifier() != null ? endpoint.clientIdentifier() : id; // none: its own
      this.key = key;
      this.remote = remote;
      this.v5 = v5;
      this.readings = PREFIX + device + "/readings";
      this.alerts = PREFIX + device + "/alerts";
    }

    void start() {
      endpoint.publishAutoAck(false);
      endpoint.publishHandler(this::publish);
      endpoint.publishReleaseHandler(endpoint::publishComplete); // QoS 2: PUBREC went once stored
      endpoint.subscribeHandler(subscribe -> {
        List<MqttQoS> granted = new ArrayList<>();
        for (MqttTopicSubscription topic : subscribe.topicSubscriptions()) {
          if (alerts.equals(topic.topicName())) {
            follow();
            granted.add(MqttQoS.AT_MOST_ONCE);
          } else {
            refused("SUBSCRIBE " + topic.topicName(), Failures.of(Failures.FORBIDDEN, "a device may subscribe to " + alerts + " only"));
            granted.add(MqttQoS.FAILURE);
          }
        }
        endpoint.subscribeAcknowledge(subscribe.messageId(), granted);
      });
      endpoint.unsubscribeHandler(unsubscribe -> {
        if (unsubscribe.topics().contains(alerts)) {
          unfollow();
        }
        endpoint.unsubscribeAcknowledge(unsubscribe.messageId());
      });
      endpoint.closeHandler(v -> {
        closed = true;
        List<Connection> ofDevice = connections.get(device);
        if (ofDevice != null && ofDevice.remove(this) && ofDevice.isEmpty()) {
          connections.remove(device);
        }
        unfollow();
      });
      endpoint.exceptionHandler(this::failed);
      MqttProperties limits = new MqttProperties();
      if (v5) { // a client that honours it fails a larger publish itself; one that does not is answered in failed()
        limits.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE.value(), maxPacketBytes()));
      }
      endpoint.accept(false, limits);
      SESSIONS.publish(vertx.eventBus(), new Session(device, clientId, id));
    }

    /** Another connection of this device took its client id. */
    void takenOver() {
      log.debug("mqtt session taken over by a new connection [device: {}, client: {}]", device, clientId);
      end(MqttDisconnectReasonCode.SESSION_TAKEN_OVER);
    }

    /** Ends the connection: MQTT 5 is told why by a DISCONNECT (which closes it too), 3.1.1 just closed. */
    private void end(MqttDisconnectReasonCode reason) {
      if (v5 && !closed && endpoint.isConnected()) {
        closed = true;
        endpoint.disconnect(reason, MqttProperties.NO_PROPERTIES);
      } else {
        close();
      }
    }

    void close() {
      if (!closed) {
        closed = true;
        endpoint.close();
      }
    }

    private void follow() {
      if (alertConsumer == null) {
        alertConsumer = vertx.eventBus().consumer(Streams.liveAddress(SensorsBus.alertStream(device)),
          message -> Streams.eachLive(message.body(), event -> {
            if (endpoint.isConnected()) {
              endpoint.publish(alerts, event.toBuffer(), MqttQoS.AT_MOST_ONCE, false, false);
            }
          }));
      }
    }

    private void unfollow() {
      if (alertConsumer != null) {
        alertConsumer.unregister();
        alertConsumer = null;
      }
    }

    private void publish(MqttPublishMessage message) {
      Owed slot = message.qosLevel() == MqttQoS.AT_MOST_ONCE ? null : new Owed(message.messageId(), message.qosLevel(), message.topicName());
      if (slot != null) {
        owed.add(slot);
      }
      Future<?> stored;
      try {
        stored = streams.ingest(device, readings(message));
      } catch (RuntimeException e) {
        stored = Future.failedFuture(e);
      }
      stored.onComplete(done -> {
        if (slot == null) {
          if (done.failed()) {
            refused(message.topicName(), done.cause()); // QoS 0: nothing to answer
          }
          return;
        }
        slot.done = true;
        slot.failure = done.cause();
        answerOwed();
      });
    }

    /** The readings a publish carries, when it is on this device's topic and holds JSON that may be readings. */
    private JsonArray readings(MqttPublishMessage message) {
      String topic = message.topicName();
      if (!readings.equals(topic)) {
        boolean another = topic.startsWith(PREFIX) && topic.endsWith("/readings");
        throw Failures.of(another ? Failures.FORBIDDEN : Failures.BAD_REQUEST,
          (another ? "a device may publish to " : "readings go to ") + readings + " only");
      }
      Buffer payload = message.payload();
      if (payload.length() > conf.maxPayloadBytes()) {
        throw Failures.of(Failures.TOO_LARGE, "a publish holds at most " + conf.maxPayloadBytes() + " bytes");
      }
      Object json;
      try {
        json = Json.decodeValue(payload);
      } catch (DecodeException e) {
        throw Failures.badRequest("the payload is not JSON: send a reading {kind, value, at?, unit?, id?} or an array of them");
      }
      if (json instanceof JsonObject reading) {
        return new JsonArray().add(reading);
      }
      if (json instanceof JsonArray array) {
        return array;
      }
      throw Failures.badRequest("send a reading {kind, value, at?, unit?, id?} or an array of them");
    }

    /** Answers the publishes at the head whose outcome is known, in order; a failure only MQTT 5 can name closes. */
    private void answerOwed() {
      if (closed) { // nobody to answer: the device publishes again when it reconnects
        owed.clear();
        return;
      }
      while (!owed.isEmpty() && owed.peek().done) {
        Owed slot = owed.poll();
        if (slot.failure == null) {
          if (slot.qos == MqttQoS.EXACTLY_ONCE) {
            endpoint.publishReceived(slot.id);
          } else {
            endpoint.publishAcknowledge(slot.id);
          }
          continue;
        }
        int code = Failures.code(slot.failure);
        MqttPubAckReasonCode reason = switch (code) {
          case Failures.FORBIDDEN -> MqttPubAckReasonCode.NOT_AUTHORIZED;
          case Failures.BAD_REQUEST -> readings.equals(slot.topic)
            ? MqttPubAckReasonCode.PAYLOAD_FORMAT_INVALID : MqttPubAckReasonCode.TOPIC_NAME_INVALID;
          case Failures.TOO_LARGE -> MqttPubAckReasonCode.PAYLOAD_FORMAT_INVALID;
          case Failures.RATE_LIMITED -> MqttPubAckReasonCode.QUOTA_EXCEEDED;
          default -> null; // storage unavailable, a timeout: unanswered, so the client publishes again
        };
        if (reason != null) {
          refused(slot.topic, slot.failure);
        } else {
          // debug: during a storage outage every device's connection closes, and the outage is logged where it is
          log.debug("mqtt publish not stored, closing so the device publishes again [device: {}, error: {}]", device,
            Failures.message(slot.failure));
        }
        if (reason == null || !v5) {
          close();
          owed.clear();
          return;
        }
        MqttProperties properties = new MqttProperties();
        properties.add(new MqttProperties.StringProperty(MqttProperties.MqttPropertyType.REASON_STRING.value(),
          Failures.message(slot.failure)));
        if (slot.qos == MqttQoS.EXACTLY_ONCE) {
          endpoint.publishReceived(slot.id, MqttPubRecReasonCode.valueOf(reason.name()), properties);
        } else {
          endpoint.publishAcknowledge(slot.id, reason, properties);
        }
      }
    }

    /**
     * A packet the decoder could not take: past the largest packet ({@link #maxPacketBytes}) it is cut off unread, so
     * it is answered here — MQTT 5 DISCONNECT 0x95 (packet too large), MQTT 3.1.1 the connection closed — with its
     * line in the trail; anything else the connection's end.
     */
    private void failed(Throwable failure) {
      if (failure instanceof TooLongFrameException) {
        refused("PUBLISH", Failures.of(Failures.TOO_LARGE, "a packet holds at most " + maxPacketBytes()
          + " bytes (a publish's payload at most " + conf.maxPayloadBytes() + ")"));
        end(MqttDisconnectReasonCode.PACKET_TOO_LARGE);
      } else {
        log.debug("mqtt connection failed [device: {}, error: {}]", device, failure.toString());
      }
    }

    private void refused(String target, Throwable failure) {
      AuditBus.refusedPacket(vertx.eventBus(), device, remote, "mqtt " + target, failure);
    }
  }

  /** The device, the client id it connected with, and the accepted connection's own id. */
  record Session(String device, String clientId, String connection) {

    JsonObject toJson() {
      return new JsonObject().put("device", device).put("clientId", clientId).put("connection", connection);
    }

    static Session fromJson(JsonObject body) {
      if (body.getValue("device") instanceof String device && body.getValue("clientId") instanceof String clientId
          && body.getValue("connection") instanceof String connection) {
        return new Session(device, clientId, connection);
      }
      throw Failures.badRequest("expected {device, clientId, connection}");
    }
  }

  /** An acknowledgement owed for a QoS 1 or 2 publish, and its outcome once known. */
  private static final class Owed {
    final int id;
    final MqttQoS qos;
    final String topic;
    boolean done;
    Throwable failure;

    Owed(int id, MqttQoS qos, String topic) {
      this.id = id;
      this.qos = qos;
      this.topic = topic;
    }
  }
}
