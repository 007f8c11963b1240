package io.hubbub.storage;

import io.hubbub.StartupException;
import io.hubbub.bus.EventRules;
import io.hubbub.bus.Streams;
import io.hubbub.conf.HubbubConf;
import io.hubbub.embedded.EmbeddedStore;
import io.hubbub.embedded.StoreBackup;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.BulkOperation;
import io.vertx.ext.mongo.BulkWriteOptions;
import io.vertx.ext.mongo.MongoClient;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * {@code export} and {@code import}: a whole store as JSON Lines, to move a deployment from one store to another
 * (the embedded store to a MongoDB replica set) or keep a portable copy. Both work against the embedded store of
 * {@code mongo.dataDir} (the running node's, over the wire, or opened here when no node runs on it) or the MongoDB
 * of {@code mongo.uri}, through the same client and collections as storage.
 *
 * <p>The file: a first line {@code {"hubbub": "export", "version": 1, "exportedAt"}}; per stream a line
 * {@code {"stream", "firstSeq", "lastSeq"}} followed by its events, one per line, in seq order ({@code {stream,
 * seq, id, type, data, by, ts}}); per document {@code {"collection", "doc"}}; a last line {@code {"end": true,
 * "streams", "events", "documents"}}.
 *
 * <p>Import checks the whole file first and writes nothing when a line is broken (it names the line). It is
 * idempotent: a stream's events the store holds already (up to its last seq) are skipped, after checking that the
 * one at that seq has the same id; documents are written whole by {@code _id}. A stream whose history in the store
 * disagrees with the file is left as it is and named. Import into a store no Hubbub node runs on (its caches would
 * not know).
 */
public final class DataTool {

  public static final Set<String> COMMANDS = Set.of("export", "import", "backup", "restore");
  private static final int BUCKET = EventStore.MAX_BUCKET_EVENTS;
  private static final int DOC_BULK = 500;
  private static final long PROGRESS_MS = 2_000;

  private final Vertx vertx;
  private final HubbubConf conf;
  private final PrintStream err;
  private StoreConnection store;
  private EventStore events;
  private StreamBounds bounds;
  private StoreCalls calls;
  private long progressAt;

  private DataTool(Vertx vertx, HubbubConf conf, PrintStream err) {
    this.vertx = vertx;
    this.conf = conf;
    this.err = err;
  }

  /** What an export or import did: its summary line. */
  public record Summary(long streams, long events, long documents, List<String> conflicts) {
    @Override
    public String toString() {
      return streams + " streams, " + events + " events, " + documents + " documents"
        + (conflicts.isEmpty() ? "" : "; left as they were (their history differs): " + conflicts);
    }
  }

  /** A line of an import file that is not what it must be; {@code line} counts from 1. */
  public static final class BadLine extends Exception {
    public final long line;

    BadLine(long line, String message) {
      super("line " + line + ": " + message);
      this.line = line;
    }
  }

  /** Writes the whole store to {@code out} as JSON Lines; progress and the summary on {@code err}. */
  public static Summary exportTo(HubbubConf conf, OutputStream out, PrintStream err) throws Exception {
    return withStore(conf, err, tool -> {
      Writer writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
      Summary summary = tool.export(writer);
      writer.flush();
      err.println("hubbub: exported " + summary);
      return summary;
    });
  }

  /** Reads an export file into the store; nothing is written when a line is broken ({@link BadLine}). */
  public static Summary importFrom(HubbubConf conf, Path file, PrintStream err) throws Exception {
    check(file);
    return withStore(conf, err, tool -> {
      Summary summary = tool.importFile(file);
      err.println("hubbub: imported " + summary);
      return summary;
    });
  }

  /**
   * An online backup of the embedded store of {@code mongo.dataDir} into a new folder ({@link StoreBackup}), taken by
   * the running node's store (or by one opened here when no node runs on it).
   */
  public static StoreBackup.Manifest backup(HubbubConf conf, Path to, PrintStream err) throws Exception {
    if (!conf.mongo().embedded()) {
      throw new IllegalArgumentException("backup is for the embedded store; MongoDB has its own (mongodump, or its snapshots)");
    }
    return withStore(conf, err, tool -> {
      JsonObject done = await(tool.store.mongo.runCommand("hubbubBackup", new JsonObject().put("hubbubBackup", 1)
        .put("to", to.toAbsolutePath().toString())));
      StoreBackup.Manifest manifest = StoreBackup.verify(to);
      err.println("hubbub: backed up " + done.getLong("bytes") + " bytes into " + to.toAbsolutePath());
      return manifest;
    });
  }

  /** What a tool does with the store open. */
  @FunctionalInterface
  private interface Work<T> {
    T run(DataTool tool) throws Exception;
  }

  /** Opens the conf's store on a Vert.x of its own, does the work, and closes both. */
  private static <T> T withStore(HubbubConf conf, PrintStream err, Work<T> work) throws Exception {
    DataTool tool = new DataTool(Vertx.vertx(), conf, err);
    try {
      tool.open();
      return work.run(tool);
    } finally {
      tool.close();
    }
  }

  /**
   * Restores a backup into the embedded store's data folder, which no node may be running on: the backup is checked
   * whole first (a folder that is not one is refused), and the data it replaces is kept beside it.
   */
  public static StoreBackup.Manifest restore(HubbubConf conf, Path from, PrintStream err) throws IOException {
    if (!conf.mongo().embedded()) {
      throw new IllegalArgumentException("restore is for the embedded store; MongoDB has its own (mongorestore)");
    }
    StoreBackup.Manifest manifest = StoreBackup.verify(from);
    Path dataDir = Path.of(conf.mongo().dataDir());
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(EmbeddedStore.FILE_NAME);
    Path kept = null;
    if (Files.exists(file)) {
      try {
        new MVStore.Builder().fileName(file.toString()).readOnly().open().close();
      } catch (MVStoreException e) {
        if (e.getErrorCode() == DataUtils.ERROR_FILE_LOCKED) {
          throw EmbeddedStore.inUse(dataDir, e);
        }
      }
      try {
        EmbeddedStore.settle(dataDir); // the data kept holds its journal's writes too
      } catch (IOException | RuntimeException e) {
        err.println("hubbub: the data being replaced does not open (" + e.getMessage() + "); it is kept as it is");
      }
      String suffix = ".before-restore-" + Instant.now().toString().replace(':', '-');
      kept = dataDir.resolve(EmbeddedStore.FILE_NAME + suffix);
      Files.move(file, kept);
      Path journal = dataDir.resolve(EmbeddedStore.JOURNAL_DIR);
      if (Files.exists(journal)) {
        Files.move(journal, dataDir.resolve(EmbeddedStore.JOURNAL_DIR + suffix)); // never replayed into the backup
      }
    }
    Path partial = dataDir.resolve(EmbeddedStore.FILE_NAME + ".partial");
    Files.copy(from.resolve(EmbeddedStore.FILE_NAME), partial, StandardCopyOption.REPLACE_EXISTING);
    Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
    err.println("hubbub: restored the backup of " + manifest.createdAt() + " into " + dataDir.toAbsolutePath()
      + (kept == null ? "" : "; the data it replaced is kept as " + kept.getFileName()));
    return manifest;
  }

  /** The store of the conf: the running node's embedded store, or one opened here, or {@code mongo.uri}. */
  private void open() throws Exception {
    HubbubConf.Mongo mongo = conf.mongo();
    HubbubConf.Mongo target = mongo;
    if (mongo.embedded()) {
      Path dataDir = Path.of(mongo.dataDir());
      if (Files.exists(dataDir.resolve(EmbeddedStore.FILE_NAME))) {
        try {
          store = await(StoreConnection.open(vertx, mongo, 4)); // no node runs on it: opened here
        } catch (StartupException inUse) {
          target = new HubbubConf.Mongo(EmbeddedStore.runningUri(dataDir), mongo.database(), mongo.dataDir(), mongo.timeoutMs(),
            mongo.embeddedHost(), mongo.embeddedPort(), null);
        }
      } else {
        store = await(StoreConnection.open(vertx, mongo, 4));
      }
    }
    if (store == null) {
      store = await(StoreConnection.open(vertx, target, 4));
    }
    calls = new StoreCalls(Math.max(30_000, mongo.timeoutMs()), StoreCalls.writesFor(store.uri));
    bounds = new StreamBounds(store.mongo, calls, 10_000);
    events = new EventStore(store.mongo, store.raw, calls, bounds);
  }

  private void close() throws Exception {
    try {
      if (store != null) {
        await(store.close(vertx));
      }
    } finally {
      await(vertx.close());
    }
  }

  private Summary export(Writer out) throws Exception {
    line(out, new JsonObject().put("hubbub", "export").put("version", 1).put("exportedAt", Instant.now().toString()));
    MongoClient mongo = store.mongo;
    Set<String> streams = new TreeSet<>(await(bounds.list()).keySet());
    await(mongo.distinct(EventStore.BUCKETS, "stream", String.class.getName())).forEach(s -> streams.add((String) s));
    long eventCount = 0;
    long done = 0;
    for (String stream : streams) {
      long first = await(bounds.get(stream)).firstSeq();
      long last = await(events.lastSeq(stream));
      first = Math.min(first, last + 1);
      line(out, new JsonObject().put("stream", stream).put("firstSeq", first).put("lastSeq", last));
      for (long from = first; from <= last; ) {
        EventPage page = await(events.read(stream, from, last, 1_000, 16L << 20));
        if (page.isEmpty()) {
          throw new IllegalStateException("stream " + stream + " has no event " + from + " though its last seq is " + last);
        }
        for (Buffer event : page.each()) {
          line(out, event.toString(StandardCharsets.UTF_8));
        }
        eventCount += page.size();
        from = page.next();
      }
      progress("export", ++done, streams.size(), eventCount, 0);
    }
    long documents = 0;
    for (String collection : DocStore.collections(conf.storage())) {
      List<JsonObject> docs = await(mongo.find(collection, new JsonObject()));
      docs.sort((a, b) -> String.valueOf(a.getValue("_id")).compareTo(String.valueOf(b.getValue("_id"))));
      for (JsonObject doc : docs) {
        line(out, new JsonObject().put("collection", collection).put("doc", doc));
      }
      documents += docs.size();
      progress("export", done, streams.size(), eventCount, documents);
    }
    line(out, new JsonObject().put("end", true).put("streams", streams.size()).put("events", eventCount).put("documents", documents));
    return new Summary(streams.size(), eventCount, documents, List.of());
  }

  private static void line(Writer out, JsonObject json) throws IOException {
    line(out, json.encode());
  }

  private static void line(Writer out, String json) throws IOException {
    out.write(json);
    out.write('\n');
  }

  /**
   * Reads the whole file and checks every line: the header first, each stream's events consecutive from its
   * {@code firstSeq} to its {@code lastSeq}, each event and document well formed, the end line last.
   */
  static void check(Path file) throws Exception {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String text;
      long number = 0;
      String stream = null;
      long expected = 0;
      long lastSeq = 0;
      boolean ended = false;
      Set<String> seen = new TreeSet<>();
      while ((text = in.readLine()) != null) {
        number++;
        if (text.isBlank()) {
          continue;
        }
        if (ended) {
          throw new BadLine(number, "a line after the end line");
        }
        JsonObject line = parse(text, number);
        if (number == 1) {
          if (!"export".equals(line.getValue("hubbub")) || !Integer.valueOf(1).equals(line.getValue("version"))) {
            throw new BadLine(number, "not a Hubbub export of version 1 (its first line is {\"hubbub\":\"export\",\"version\":1,...})");
          }
          continue;
        }
        if (line.containsKey("firstSeq")) {
          if (stream != null && expected <= lastSeq) {
            throw new BadLine(number, "stream " + stream + " ends at seq " + (expected - 1) + ", not " + lastSeq);
          }
          stream = string(line, "stream", number);
          if (!Streams.isValidName(stream) || !seen.add(stream)) {
            throw new BadLine(number, "'" + stream + "' is not a valid stream name, or its second section");
          }
          expected = seq(line, "firstSeq", number);
          lastSeq = seq(line, "lastSeq", number);
          if (expected < 1 || expected > lastSeq + 1) {
            throw new BadLine(number, "firstSeq must be from 1 to lastSeq + 1");
          }
        } else if (line.containsKey("seq")) {
          if (stream == null || !stream.equals(line.getValue("stream"))) {
            throw new BadLine(number, "an event outside its stream's section");
          }
          long seq = seq(line, "seq", number);
          if (seq != expected || seq > lastSeq) {
            throw new BadLine(number, "seq " + seq + " where " + expected + " comes next (at most " + lastSeq + ")");
          }
          expected++;
          string(line, "id", number);
          string(line, "by", number);
          string(line, "ts", number);
          if (!EventRules.TYPE.matcher(string(line, "type", number)).matches() || !(line.getValue("data") instanceof JsonObject)) {
            throw new BadLine(number, "an event needs a 'type' of " + EventRules.TYPE_RULE + " and an object 'data'");
          }
        } else if (line.containsKey("collection")) {
          if (!(line.getValue("doc") instanceof JsonObject doc) || !(doc.getValue("_id") instanceof String)
            || !Pattern.matches("[A-Za-z0-9_-]{1,63}", string(line, "collection", number))) {
            throw new BadLine(number, "a document line is {\"collection\": <name>, \"doc\": {\"_id\": <string>, ...}}");
          }
        } else if (Boolean.TRUE.equals(line.getValue("end"))) {
          if (stream != null && expected <= lastSeq) {
            throw new BadLine(number, "stream " + stream + " ends at seq " + (expected - 1) + ", not " + lastSeq);
          }
          ended = true;
        } else {
          throw new BadLine(number, "neither a stream, an event, a document nor the end");
        }
      }
      if (number == 0) {
        throw new BadLine(1, "the file is empty");
      }
      if (!ended) {
        throw new BadLine(number + 1, "no end line: the file was cut short");
      }
    }
  }

  private static JsonObject parse(String text, long number) throws BadLine {
    try {
      return new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new BadLine(number, "not a JSON object");
    }
  }

  private static String string(JsonObject line, String field, long number) throws BadLine {
    if (!(line.getValue(field) instanceof String value) || value.isEmpty()) {
      throw new BadLine(number, "'" + field + "' must be a non-empty string");
    }
    return value;
  }

  private static long seq(JsonObject line, String field, long number) throws BadLine {
    if (!(line.getValue(field) instanceof Number n) || !(n instanceof Integer || n instanceof Long) || n.longValue() < 0) {
      throw new BadLine(number, "'" + field + "' must be a whole number");
    }
    return n.longValue();
  }

  private Summary importFile(Path file) throws Exception {
    List<String> conflicts = new ArrayList<>();
    long streams = 0;
    long written = 0;
    long documents = 0;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String text;
      Section section = null;
      List<JsonObject> docs = new ArrayList<>();
      String docCollection = null;
      while ((text = in.readLine()) != null) {
        if (text.isBlank()) {
          continue;
        }
        JsonObject line = new JsonObject(text);
        if (line.containsKey("hubbub")) {
          continue;
        }
        if (line.containsKey("seq")) {
          written += section.add(line);
          continue;
        }
        if (section != null) {
          written += section.finish();
          if (section.conflict != null) {
            conflicts.add(section.conflict);
          }
          section = null;
        }
        if (line.containsKey("firstSeq")) {
          section = new Section(line.getString("stream"), line.getLong("firstSeq"), line.getLong("lastSeq"));
          streams++;
          progress("import", streams, -1, written, documents);
        } else if (line.containsKey("collection")) {
          if (!line.getString("collection").equals(docCollection) || docs.size() == DOC_BULK) {
            documents += putDocs(docCollection, docs);
            docCollection = line.getString("collection");
          }
          docs.add(line.getJsonObject("doc"));
        }
      }
      documents += putDocs(docCollection, docs);
    }
    return new Summary(streams, written, documents, conflicts);
  }

  private long putDocs(String collection, List<JsonObject> docs) throws Exception {
    if (docs.isEmpty()) {
      return 0;
    }
    List<BulkOperation> writes = new ArrayList<>();
    docs.forEach(doc -> writes.add(BulkOperation.createReplace(new JsonObject().put("_id", doc.getValue("_id")), doc, true)));
    await(calls.guard(store.mongo.bulkWriteWithOptions(collection, writes, new BulkWriteOptions(true).setWriteOption(calls.writes()))));
    int n = docs.size();
    docs.clear();
    return n;
  }

  /** One stream of the file, written to the store in buckets after what the store holds of it already. */
  private final class Section {
    final String stream;
    final long firstSeq;
    final long lastSeq;
    final long held;
    final List<JsonObject> pending = new ArrayList<>();
    String conflict;

    Section(String stream, long firstSeq, long lastSeq) throws Exception {
      this.stream = stream;
      this.firstSeq = firstSeq;
      this.lastSeq = lastSeq;
      this.held = await(events.lastSeq(stream));
      if (held == 0 && firstSeq > 1) {
        // a history that starts later (retention, truncation): where it starts, before its first bucket
        await(bounds.save(stream, new StreamBounds.Bounds(firstSeq, firstSeq)));
      } else if (held > 0 && held + 1 < firstSeq) {
        conflict = stream + " (the store ends at seq " + held + ", the file starts at " + firstSeq + ")";
      }
    }

    /** Takes one event; answers how many it wrote. */
    long add(JsonObject event) throws Exception {
      if (conflict != null) {
        return 0;
      }
      long seq = event.getLong("seq");
      if (seq < held) {
        return 0;
      }
      if (seq == held) {
        List<JsonObject> there = await(events.read(stream, held, held, 1, Long.MAX_VALUE)).events();
        if (there.isEmpty() || !there.get(0).getString("id").equals(event.getString("id"))) {
          conflict = stream + " (seq " + held + " holds another event)";
        }
        return 0;
      }
      pending.add(event);
      return pending.size() == BUCKET ? flush() : 0;
    }

    long finish() throws Exception {
      long n = conflict == null ? flush() : 0;
      if (conflict == null && held < lastSeq && lastSeq < firstSeq) {
        await(bounds.save(stream, new StreamBounds.Bounds(firstSeq, firstSeq))); // nothing held, all of it dropped
      }
      return n;
    }

    private long flush() throws Exception {
      if (pending.isEmpty()) {
        return 0;
      }
      List<JsonObject> batch = new ArrayList<>(pending);
      pending.clear();
      await(events.insert(batch, EventStore.EVERY_ID)); // whoever made an id, a retry of it is found
      return batch.size();
    }
  }

  private void progress(String what, long streams, long of, long eventCount, long documents) {
    long now = System.currentTimeMillis();
    if (now - progressAt >= PROGRESS_MS) {
      progressAt = now;
      err.println("hubbub: " + what + ": " + streams + (of >= 0 ? " of " + of : "") + " streams, " + eventCount + " events, "
        + documents + " documents");
    }
  }

  private static <T> T await(Future<T> future) throws Exception {
    try {
      return future.await(10, TimeUnit.MINUTES);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
