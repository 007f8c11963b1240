package io.hubbub.client;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * A subscriber over the raw bridge that does what hubbub.js does: takes live events in seq order,
 * drops repeats, and when a seq is skipped reads the missing range ({@code streams.read}) before going
 * on. What it hands on ({@link #delivered}) is what an application would see. Events it still needed that the
 * stream no longer holds (retention, a truncation: a read answers a later {@code firstSeq}) are not a gap: it goes
 * on from {@code firstSeq} and says so ({@link #truncatedTo}).
 */
public final class GaplessReader {

  private final Vertx vertx;
  private final BridgeClient client;
  private final String stream;
  private final TreeMap<Long, JsonObject> pending = new TreeMap<>();
  private final List<JsonObject> delivered = new ArrayList<>();
  private long next = 1;
  private boolean reading;
  private int repeats;
  private int notices;
  private boolean behind;
  private boolean again;
  private long truncatedTo;

  public GaplessReader(Vertx vertx, BridgeClient client, String stream) {
    this.vertx = vertx;
    this.client = client;
    this.stream = stream;
    client.register(BridgeClient.liveAddress(stream), this::offer);
    client.pingEvery(vertx, 5_000);
  }

  /** Events handed on so far, in order. */
  public synchronized List<JsonObject> delivered() {
    return new ArrayList<>(delivered);
  }

  /** The next seq it waits for. */
  public synchronized long next() {
    return next;
  }

  /** The {@code firstSeq} it last went on from because the events before it were gone; 0 when that never happened. */
  public synchronized long truncatedTo() {
    return truncatedTo;
  }

  /** Notices that live delivery skipped events (429 error frames). */
  public synchronized int notices() {
    return notices;
  }

  /** Live events that arrived after they had been handed on already (dropped). */
  public synchronized int repeats() {
    return repeats;
  }

  private synchronized void offer(JsonObject frame) {
    if ("err".equals(frame.getString("type")) && frame.getInteger("failureCode", 0) == 429) {
      notices++;
      behind = true; // the server skipped live events: read until the end, as hubbub.js does
      if (reading) {
        again = true; // the read in flight may have been answered before the skipped events were stored
      } else {
        readGap();
      }
      return;
    }
    if (!(frame.getValue("body") instanceof JsonObject event) || event.getLong("seq") == null) {
      throw new IllegalStateException("not an event: " + frame.encode());
    }
    long seq = event.getLong("seq");
    if (seq < next || pending.containsKey(seq)) {
      repeats++;
      return;
    }
    pending.put(seq, event);
    flush();
  }

  private void flush() {
    while (!pending.isEmpty() && pending.firstKey() <= next) {
      JsonObject event = pending.pollFirstEntry().getValue();
      if (event.getLong("seq") == next) {
        delivered.add(event);
        next++;
      }
    }
    if ((!pending.isEmpty() || behind) && !reading) {
      readGap();
    }
  }

  private void readGap() {
    reading = true;
    client.request("streams.read", new JsonObject().put("stream", stream).put("from", next).put("limit", 1_000))
      .onComplete(done -> {
        synchronized (this) {
          reading = false;
          if (done.failed()) {
            vertx.setTimer(200, t -> retry());
            return;
          }
          JsonArray events = done.result().getJsonArray("events");
          if (!again && (events.isEmpty() || done.result().getLong("next") > done.result().getLong("lastSeq"))) {
            behind = false; // read to the end
          }
          again = false;
          long first = done.result().getLong("firstSeq", 1L);
          if (first > next) {
            truncatedTo = first; // what it needed is gone for good: go on from where the stream starts now
            next = first;
            pending.headMap(first).clear();
          }
          for (int i = 0; i < events.size(); i++) {
            JsonObject event = events.getJsonObject(i);
            if (event.getLong("seq") >= next) {
              pending.putIfAbsent(event.getLong("seq"), event);
            }
          }
          flush();
        }
      });
  }

  private synchronized void retry() {
    if (!reading && (!pending.isEmpty() || behind)) {
      readGap();
    }
  }
}
