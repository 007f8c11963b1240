package io.hubbub.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * A room's presence as a client keeps it: a snapshot, then the deltas after it, applied in version order (what
 * {@code hubbub.js} does for pages). Deltas that come before the snapshot wait for it; a gap in the versions, a
 * new epoch (the node's chat instance restarted) or a room that falls back under its listed size makes the view
 * ask for a snapshot again ({@link #apply} answers false, {@link #follow} asks by itself).
 */
public final class PresenceView {

  /** Deltas kept while a snapshot is awaited; past it they are dropped (the snapshot will hold their changes). */
  private static final int MAX_WAITING = 10_000;
  /** Registration failures that say nothing about the right to register: it is made again. */
  private static final Set<Integer> AGAIN = Set.of(503, 408, -1);

  private final String room;
  private String epoch;
  /** The version of the last snapshot or delta applied; -1 while a snapshot is awaited. */
  private long version = -1;
  private final TreeSet<String> online = new TreeSet<>();
  private final TreeSet<String> typing = new TreeSet<>();
  private int count;
  private boolean listed = true;
  private final List<JsonObject> waiting = new ArrayList<>();

  public PresenceView(String room) {
    this.room = room;
  }

  /**
   * Registers for a room's presence on a bridge connection and keeps the view, asking for a snapshot again
   * whenever it must; {@code onChange} gets the view after every change.
   */
  public static PresenceView follow(BridgeClient client, String room, Consumer<PresenceView> onChange) {
    return follow(client, room, onChange, frame -> { });
  }

  /** As {@link #follow(BridgeClient, String, Consumer)}, showing {@code onFrame} each presence frame as it comes. */
  public static PresenceView follow(BridgeClient client, String room, Consumer<PresenceView> onChange, Consumer<JsonObject> onFrame) {
    PresenceView view = new PresenceView(room);
    boolean[] asking = new boolean[1];
    Consumer<JsonObject> take = new Consumer<>() {
      @Override
      public void accept(JsonObject message) {
        boolean inStep = view.apply(message);
        onChange.accept(view);
        if (!inStep) {
          ask();
        }
      }

      /** Asks for a snapshot (one at a time), again a second later while none comes. */
      private void ask() {
        if (asking[0]) {
          return;
        }
        asking[0] = true;
        client.request("chat.presence", new JsonObject().put("room", room)).onComplete(done -> {
          asking[0] = false;
          if (done.succeeded()) {
            accept(done.result());
          } else if (!view.inStep()) {
            client.vertx().setTimer(1_000, t -> {
              if (!view.inStep()) {
                ask();
              }
            });
          }
        });
      }
    };
    String address = "chat.presence." + room;
    Consumer<JsonObject> frames = new Consumer<>() {
      @Override
      public void accept(JsonObject frame) {
        onFrame.accept(frame);
        if (frame.getValue("body") instanceof JsonObject body) {
          take.accept(body);
        } else if ("err".equals(frame.getString("type")) && AGAIN.contains(frame.getInteger("failureCode", -1))) {
          // the server could not answer the registration (not a refusal): register again a second later
          client.vertx().setTimer(1_000, t -> client.register(address, this));
        }
      }
    };
    client.register(address, frames);
    return view;
  }

  /** Applies a snapshot or a delta; answers false when the view needs a snapshot to be right again. */
  public synchronized boolean apply(JsonObject message) {
    if (message.containsKey("room") && !room.equals(message.getString("room"))) {
      return true; // deltas come on the room's address and do not repeat its name
    }
    if ("snapshot".equals(message.getString("type"))) {
      return snapshot(message);
    }
    if (version < 0) {
      wait(message);
      return true; // a snapshot is on its way (the one every registration gets, or the one asked for)
    }
    long v = message.getLong("v", 0L);
    if (!message.getString("epoch", "").equals(epoch) || v > version + 1) {
      version = -1;
      wait(message);
      return false;
    }
    if (v <= version) {
      return true; // in the snapshot already
    }
    return delta(message);
  }

  private void wait(JsonObject delta) {
    if (waiting.size() >= MAX_WAITING) {
      waiting.clear();
    }
    waiting.add(delta);
  }

  private boolean snapshot(JsonObject message) {
    long v = message.getLong("v", 0L);
    String from = message.getString("epoch", "");
    if (version >= 0 && from.equals(epoch) && v <= version) {
      return true; // older than what is applied
    }
    epoch = from;
    version = v;
    online.clear();
    typing.clear();
    names(message.getJsonArray("online")).forEach(online::add);
    names(message.getJsonArray("typing")).forEach(typing::add);
    count = message.getInteger("count", online.size());
    listed = message.getBoolean("listed", true);
    List<JsonObject> after = new ArrayList<>(waiting);
    waiting.clear();
    after.sort(Comparator.comparingLong(d -> d.getLong("v", 0L)));
    for (JsonObject delta : after) {
      if (!epoch.equals(delta.getString("epoch", "")) || delta.getLong("v", 0L) <= version) {
        continue;
      }
      if (delta.getLong("v", 0L) > version + 1 || !delta(delta)) {
        version = -1;
        return false;
      }
    }
    return true;
  }

  private boolean delta(JsonObject message) {
    names(message.getJsonArray("joined")).forEach(online::add);
    names(message.getJsonArray("left")).forEach(name -> {
      online.remove(name);
      typing.remove(name);
    });
    names(message.getJsonArray("typing")).forEach(typing::add);
    names(message.getJsonArray("stopped")).forEach(typing::remove);
    count = message.getInteger("count", count);
    boolean nowListed = message.getBoolean("listed", true);
    version = message.getLong("v");
    if (nowListed && !listed) {
      version = -1; // back under the listed size: the names kept are a page of an older picture
      return false;
    }
    listed = nowListed;
    return true;
  }

  private static List<String> names(JsonArray array) {
    List<String> names = new ArrayList<>();
    if (array != null) {
      array.forEach(name -> {
        if (name instanceof String s) {
          names.add(s);
        }
      });
    }
    return names;
  }

  /** Who is online: everyone while {@link #listed}, else the first names of the last snapshot. */
  public synchronized Set<String> online() {
    return Set.copyOf(online);
  }

  public synchronized Set<String> typing() {
    return Set.copyOf(typing);
  }

  /** How many are online. */
  public synchronized int count() {
    return count;
  }

  /** Whether {@link #online} names everyone online (the room is at most its listed size). */
  public synchronized boolean listed() {
    return listed;
  }

  /** Whether the view is in step (a snapshot applied and no gap since). */
  public synchronized boolean inStep() {
    return version >= 0;
  }

  @Override
  public synchronized String toString() {
    return room + " v" + version + " " + count + " online " + online + " typing " + typing;
  }
}
