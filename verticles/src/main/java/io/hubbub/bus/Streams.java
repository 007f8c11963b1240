package io.hubbub.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/** Stream names (PROTOCOL.md, "Streams and events") and the live address each one publishes on. */
public final class Streams {

  public static final String LIVE_PREFIX = "streams.live.";
  public static final Pattern NAMESPACE = Pattern.compile("[a-z][a-z0-9-]{0,31}");
  public static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  /** {@link #NAMESPACE} and {@link #KEY} in words, for error messages. */
  public static final String NAMESPACE_RULE = "1 to 32 lowercase letters, digits or '-', starting with a letter";
  public static final String KEY_RULE = "1 to 128 letters A-Z or a-z (no accents), digits, '-' or '_'";
  /** A stream name, {@code <namespace>.<key>}, as a regular expression. */
  public static final String NAME_REGEX = NAMESPACE.pattern() + "\\." + KEY.pattern();

  /** What a client is told when it names something that is not a stream name. */
  public static String notAName(String name) {
    return "'" + EventRules.clip(name, 200) + "' is not a stream name: <namespace>.<key>, the namespace " + NAMESPACE_RULE
      + ", the key " + KEY_RULE;
  }

  private Streams() {
  }

  /**
   * Whether {@code stream} matches {@link #NAME_REGEX}, checked a character at a time: every published event is
   * checked three times on its way (gateway, namespace rules, storage), and the regex's matcher was ~3% of the event
   * loops' CPU under 64 publishers. {@code NameChecksTest} holds it to the regex.
   */
  public static boolean isValidName(String stream) {
    if (stream == null) {
      return false;
    }
    int dot = stream.indexOf('.');
    return dot > 0 && isNamespace(stream, dot) && isKey(stream, dot + 1, stream.length());
  }

  /** Whether {@code text} matches {@link #KEY}, checked as {@link #isValidName} checks a name's key. */
  public static boolean isKey(String text) {
    return text != null && isKey(text, 0, text.length());
  }

  /** {@link #NAMESPACE}: the first {@code length} characters. */
  private static boolean isNamespace(String text, int length) {
    if (length > 32 || !lower(text.charAt(0))) {
      return false;
    }
    for (int i = 1; i < length; i++) {
      char c = text.charAt(i);
      if (!lower(c) && !digit(c) && c != '-') {
        return false;
      }
    }
    return true;
  }

  /** {@link #KEY}: the characters from {@code from} to {@code to}. */
  private static boolean isKey(String text, int from, int to) {
    if (to - from < 1 || to - from > 128) {
      return false;
    }
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (!lower(c) && !upper(c) && !digit(c) && c != '-' && c != '_') {
        return false;
      }
    }
    return true;
  }

  static boolean lower(char c) {
    return c >= 'a' && c <= 'z';
  }

  static boolean upper(char c) {
    return c >= 'A' && c <= 'Z';
  }

  static boolean digit(char c) {
    return c >= '0' && c <= '9';
  }

  /** The namespace of a valid stream name: what stands before the first dot. */
  public static String namespace(String stream) {
    return stream.substring(0, stream.indexOf('.'));
  }

  public static String key(String stream) {
    return stream.substring(stream.indexOf('.') + 1);
  }

  public static String liveAddress(String stream) {
    return LIVE_PREFIX + stream;
  }

  /**
   * The fewest events of one stream, stored one after the other by one write, that storage announces as arrays
   * rather than one message an event ({@link #liveMessages}). A publish an event was 5% of the CPU of appends in
   * batches of 1,000; but the few events of a stream a write carries under live traffic (fan-out: 10 rooms at 1,000
   * publishes a second, ~6 events a write) go one by one, as they always did: sent as arrays, fan-out's p99 read
   * longer in seven alternated pairs over two sessions, and why is not known.
   */
  public static final int MIN_LIVE_RUN = 16;

  /** The most events one message on a live address carries, so that no message grows with the batch. */
  public static final int MAX_LIVE_EVENTS = 64;

  /**
   * The messages storage publishes for events one write stored, in their order, each given to {@code send} with its
   * stream: a run of at least {@link #MIN_LIVE_RUN} events of one stream in a row as arrays of at most
   * {@link #MAX_LIVE_EVENTS}, every other event as itself.
   */
  public static void liveMessages(List<JsonObject> events, BiConsumer<String, Object> send) {
    int from = 0;
    while (from < events.size()) {
      String stream = events.get(from).getString("stream");
      int end = from + 1;
      while (end < events.size() && stream.equals(events.get(end).getString("stream"))) {
        end++;
      }
      if (end - from < MIN_LIVE_RUN) {
        for (int at = from; at < end; at++) {
          send.accept(stream, events.get(at));
        }
      } else {
        for (int at = from; at < end; at += MAX_LIVE_EVENTS) {
          send.accept(stream, new JsonArray(new ArrayList<>(events.subList(at, Math.min(end, at + MAX_LIVE_EVENTS)))));
        }
      }
      from = end;
    }
  }

  /**
   * The events a message on a live address carries, in seq order: one event ({@code {stream, seq, id, type, data,
   * by, ts}}) or, for a run of them stored by one write, an array of them ({@link #liveMessages}); nothing for
   * anything else.
   */
  public static void eachLive(Object body, Consumer<JsonObject> event) {
    if (body instanceof JsonObject one) {
      event.accept(one);
    } else if (body instanceof JsonArray several) {
      for (Object e : several) {
        if (e instanceof JsonObject one) {
          event.accept(one);
        }
      }
    }
  }

  /** The stream of a live address, or null when the address is not one. */
  public static String ofLiveAddress(String address) {
    if (address == null || !address.startsWith(LIVE_PREFIX)) {
      return null;
    }
    String stream = address.substring(LIVE_PREFIX.length());
    return isValidName(stream) ? stream : null;
  }
}
