package io.hubbub.client;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A client of the event-bus bridge speaking its raw WebSocket frames at {@code /eventbus/websocket},
 * as the official JavaScript client does: send with a reply address (the reply or the error frame completes
 * the future: a {@link ReplyException} carrying the failure code), register, unregister, ping.
 */
public final class BridgeClient {

  /** Where a stream's live events are delivered: register here (PROTOCOL's bridge addresses). */
  public static String liveAddress(String stream) {
    return "streams.live." + stream;
  }

  private final WebSocketClient client;
  private final WebSocket socket;
  private final Map<String, Promise<JsonObject>> replies = new ConcurrentHashMap<>();
  private final Map<String, Consumer<JsonObject>> handlers = new ConcurrentHashMap<>();
  /** Every frame received, in order (unless {@link #keepFrames} said not to). */
  public final List<JsonObject> frames = new CopyOnWriteArrayList<>();
  private volatile boolean keepFrames = true;
  /** Error frames that name no address (the bridge's own refusals, e.g. access_denied). */
  public final List<String> errors = new CopyOnWriteArrayList<>();
  /** How long a request waits for its reply. */
  public static final long REPLY_TIMEOUT_S = 30;
  private String token;

  private final Vertx vertx;

  private BridgeClient(Vertx vertx, WebSocketClient client, WebSocket socket) {
    this.vertx = vertx;
    this.client = client;
    this.socket = socket;
    // whole messages (a large one comes in several WebSocket frames); the bridge sends binary ones
    socket.binaryMessageHandler(buffer -> onFrame(buffer.toString()));
    socket.textMessageHandler(this::onFrame);
  }

  /** A bridge socket to the Hubbub on this machine's {@code port}. */
  public static Future<BridgeClient> connect(Vertx vertx, int port) {
    return connect(vertx, port, -1);
  }

  /** With a TCP receive buffer of this size ({@code -1}: the system's): a small one makes a paused client back up sooner. */
  public static Future<BridgeClient> connect(Vertx vertx, int port, int receiveBufferBytes) {
    return connect(vertx, "127.0.0.1", port, receiveBufferBytes);
  }

  public static Future<BridgeClient> connect(Vertx vertx, String host, int port, int receiveBufferBytes) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(64 * 1_048_576)
      .setMaxFrameSize(4 * 1_048_576).setReceiveBufferSize(receiveBufferBytes));
    return client.connect(port, host, "/eventbus/websocket").map(ws -> new BridgeClient(vertx, client, ws));
  }

  /** The Vert.x this socket runs on (for timers). */
  public Vertx vertx() {
    return vertx;
  }

  /** Sets the token sent in the {@code authorization} header of every later frame. */
  public BridgeClient token(String token) {
    this.token = token;
    return this;
  }

  /** Whether to keep every frame in {@link #frames} (tests look at them; a long-running client should not). */
  public BridgeClient keepFrames(boolean keep) {
    this.keepFrames = keep;
    return this;
  }

  public WebSocket socket() {
    return socket;
  }

  /**
   * Sends to an address and waits for the reply; an error frame fails with its code and message, and no reply within
   * {@value #REPLY_TIMEOUT_S} s fails saying so (Hubbub answers every request it takes well before).
   */
  public Future<JsonObject> request(String address, Object body) {
    String replyAddress = UUID.randomUUID().toString();
    Promise<JsonObject> reply = Promise.promise();
    replies.put(replyAddress, reply);
    JsonObject frame = frame("send", address).put("body", body).put("replyAddress", replyAddress);
    socket.writeTextMessage(ascii(frame.encode()));
    return reply.future().timeout(REPLY_TIMEOUT_S, TimeUnit.SECONDS).recover(failure -> {
      if (replies.remove(replyAddress) != null) {
        return Future.failedFuture(new IllegalStateException("no reply to " + address + " within " + REPLY_TIMEOUT_S + " s", failure));
      }
      return Future.failedFuture(failure);
    });
  }

  /** Sends to an address without waiting for a reply. */
  public void send(String address, Object body) {
    socket.writeTextMessage(ascii(frame("send", address).put("body", body).encode()));
  }

  /** Registers for an address; each message body (or error frame) goes to the handler. */
  public void register(String address, Consumer<JsonObject> handler) {
    handlers.put(address, handler);
    socket.writeTextMessage(frame("register", address).encode());
  }

  public void unregister(String address) {
    handlers.remove(address);
    socket.writeTextMessage(frame("unregister", address).encode());
  }

  /** Tells the bridge the client is alive (it closes sockets silent for longer than its ping timeout, 10 s). */
  public void ping() {
    socket.writeTextMessage(new JsonObject().put("type", "ping").encode());
  }

  /** Pings every {@code ms} until the socket closes. */
  public BridgeClient pingEvery(Vertx vertx, long ms) {
    vertx.setPeriodic(ms, timer -> {
      if (socket.isClosed()) {
        vertx.cancelTimer(timer);
      } else {
        ping();
      }
    });
    return this;
  }

  /**
   * JSON with every non-ASCII character escaped, as a browser's {@code JSON.stringify} escapes lone surrogates:
   * a text frame carries UTF-8, which has no form for half a surrogate pair.
   */
  private static String ascii(String json) {
    StringBuilder out = new StringBuilder(json.length());
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (c < 0x7f) {
        out.append(c);
      } else {
        out.append(String.format("\\u%04x", (int) c));
      }
    }
    return out.toString();
  }

  /** Writes any text as a frame, well-formed or not. */
  public void raw(String text) {
    socket.writeTextMessage(text);
  }

  public Future<Void> close() {
    return socket.close().eventually(client::close);
  }

  private JsonObject frame(String type, String address) {
    JsonObject frame = new JsonObject().put("type", type).put("address", address);
    if (token != null) {
      frame.put("headers", new JsonObject().put("authorization", HubbubHttp.bearer(token)));
    }
    return frame;
  }

  private void onFrame(String text) {
    JsonObject frame = new JsonObject(text);
    if (keepFrames) {
      frames.add(frame);
    }
    String address = frame.getString("address");
    boolean error = "err".equals(frame.getString("type"));
    Promise<JsonObject> reply = address == null ? null : replies.remove(address);
    if (reply != null) {
      if (error) {
        reply.fail(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, frame.getInteger("failureCode", -1), frame.getString("message")));
      } else {
        reply.complete(frame.getJsonObject("body"));
      }
    } else if (address != null && handlers.containsKey(address)) {
      handlers.get(address).accept(frame);
    } else if (error) {
      errors.add(frame.getString("body"));
    }
  }
}
