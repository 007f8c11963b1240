package io.hubbub.embedded;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.Assert;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.DocumentWithPosition;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.oplog.Oplog;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import de.bwaldvogel.mongo.wire.message.MongoQuery;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * mongo-java-server's H2 backend, made durable the way MongoDB is: a write-ahead journal, with its B-trees
 * written at checkpoints.
 *
 * <p><b>Writes.</b> Write commands are applied one at a time (the write lock), in memory, and appended in that
 * order to the {@link Journal}; a write that asks for {@code j: true} (storage always does) is answered once its
 * record is on disk, by one {@code fdatasync} shared with every write that arrived meanwhile. The write's own
 * thread makes that {@code fdatasync} when no other is under way, unless a checkpoint is syncing the file
 * ({@link Journal#sync}); else the reply waits for it ({@link DurableReplies}: the connection's thread goes on
 * serving others). Reads run beside writes and see what is applied. A write is recorded exactly as it ran: an
 * inserted document without {@code _id} gets one before, and an upsert that made an {@code _id} is recorded naming
 * it; time-dependent operators see the record's time on replay.
 *
 * <p><b>Checkpoints.</b> Every {@value #CHECKPOINT_MS} ms (or {@value #CHECKPOINT_MB} MB of journal) the
 * checkpointer holds the write lock for the instant H2 takes its commit's roots, with the seq of the last record
 * applied written in the same commit ({@value #JOURNAL_STATE}); writes go on while H2 serializes and writes those
 * pages on its own threads; then the file is synced and the journal segments that commit holds are deleted. This
 * needs stored documents that never change: mongo-java-server's updates put new fields into the document object
 * they found. This backend's collections hold BSON bytes and decode a fresh object for every reader
 * ({@link PackedCollection}); in a collection the plain backend made, an update finds a copy
 * ({@link CopyOnUpdateCollection}) and the map is given the copy. Either way a page being serialized keeps what it had. No other commit is ever made (H2's auto-commit is off), so the file
 * always holds exactly the records up to its seq.
 *
 * <p><b>Recovery.</b> Opening replays the journal past the file's seq, in order, then checkpoints: after a SIGKILL
 * or a power cut, every acknowledged write is back, and nothing is applied twice.
 *
 * <p>Collections created by this backend keep their documents as BSON ({@link BsonDocuments}) keyed by
 * {@link DocumentIds}, and their indexes order and write keys with {@link KeyOrder}, instead of by Java
 * serialization; the names
 * of those maps are kept in the map {@value #MAP_TYPES}, and a map a file already held without that
 * mark (made by the plain backend) is opened as it was built.
 */
final class DurableH2Backend extends H2Backend {

  /**
   * The maps this backend made with its own types: name → {@link #ORDERED_INDEX}, {@link #BSON_DOCUMENTS} or
   * {@link #BSON_DOCUMENTS_BY_IDS}.
   */
  static final String MAP_TYPES = "hubbub.mapTypes";
  static final int ORDERED_INDEX = 1;
  /** Documents as BSON, keyed by H2's {@code ObjectDataType}: collections made before 2026-12-02. */
  static final int BSON_DOCUMENTS = 2;
  /** Documents as BSON, keyed by {@link DocumentIds}: collections made since. */
  static final int BSON_DOCUMENTS_BY_IDS = 3;
  /** The journal's state in the file: {@value #STORE_ID} (this store's id) and {@value #APPLIED} (the seq it holds). */
  static final String JOURNAL_STATE = "hubbub.journal";
  static final String STORE_ID = "store";
  static final String APPLIED = "applied";
  /**
   * A checkpoint writes every page changed since the last: under 2,000 devices reporting each second, most leaf pages
   * changed are changed again within a few seconds, and checkpoints every 5 s rather than every second cut H2's page
   * writing threads from ~45 to ~15 µs of CPU per reading (bench {@code fleet}). A crash replays at most that much
   * journal.
   */
  static final long CHECKPOINT_MS = 5_000;
  static final long CHECKPOINT_MB = 64;
  /**
   * After a checkpoint, when the file's chunks hold less than this share of live pages, up to {@value #COMPACT_BYTES}
   * bytes of them are rewritten by the next commit (H2's own housekeeping, off with its auto-commit, aims at 81%:
   * rewriting that eagerly cost catch-up reads ~20% here, for a file that stays within twice its live data).
   */
  static final int COMPACT_BELOW_PERCENT = 50;
  static final int COMPACT_BYTES = 1 << 20;
  /** Fault injection for the crash tests: a checkpoint pauses this long after its commit, before its sync. */
  static final String CHECKPOINT_PAUSE_PROPERTY = "hubbub.failpoint.checkpointPauseMs";
  /** Commands that change nothing; every other command is journaled. */
  private static final Set<String> READS = Set.of("find", "getmore", "killcursors", "count", "distinct", "listcollections",
    "listindexes", "listdatabases", "hello", "ismaster", "ping", "buildinfo", "getparameter", "serverstatus",
    "endsessions", "dbstats", "collstats", "getlasterror", "reseterror", "whatsmyuri", "connectionstatus", "hostinfo",
    "getcmdlineopts", "getlog", "currentop", "explain", "validate", "getnonce", "getfreemonitoringstatus");
  /** The command the data tools send for an online backup: {@code {hubbubBackup: 1, to: <folder>}}. */
  static final String BACKUP = "hubbubBackup";
  private static final Logger log = LoggerFactory.getLogger(DurableH2Backend.class);

  private final ScramServer auth;
  private final RecordClock clock;
  private final Path journalDir;
  /** Write commands one at a time, in journal order; a checkpoint or a backup holds it to pick its commit. */
  private final ReentrantLock writes = new ReentrantLock();
  /** The thread applying a write that may change stored documents (an update): its queries find copies. */
  private volatile Thread updating;
  /** Set while this thread runs a find whose reply {@link StoredReplies} encodes. */
  private static final ThreadLocal<Boolean> ANSWERING_FIND = new ThreadLocal<>();
  private final MVMap<String, Object> journalState;
  private final AtomicBoolean checkpointQueued = new AtomicBoolean();
  private final long checkpointPauseMs = Long.getLong(CHECKPOINT_PAUSE_PROPERTY, 0L);
  private volatile Journal journal;
  /** A checkpoint is syncing the file: the journal's groups are left to its writer thread meanwhile. */
  private volatile boolean syncingFile;
  private ScheduledExecutorService checkpointer;
  /** The seq the file held at its last synced checkpoint (the checkpointer's). */
  private long checkpointed;

  private DurableH2Backend(MVStore store, ScramServer auth, RecordClock clock, Path journalDir) {
    super(store, clock);
    this.auth = auth;
    this.clock = clock;
    this.journalDir = journalDir;
    this.journalState = store.openMap(JOURNAL_STATE);
  }

  /**
   * The backend of an open store file (opened with {@link #storeBuilder}), its journal (in {@code journalDir})
   * replayed past the file's last checkpoint and journaling from then on. Blocking: file I/O.
   *
   * @param auth the sign-in every connection must pass first, or null for none (tests of the store itself)
   */
  static DurableH2Backend open(MVStore store, ScramServer auth, Path journalDir) throws IOException {
    DurableH2Backend backend = new DurableH2Backend(store, auth, new RecordClock(), journalDir);
    try {
      backend.recover();
    } catch (IOException | RuntimeException e) {
      backend.getMvStore().closeImmediately(); // nothing of a refused recovery reaches the file
      throw e;
    }
    return backend;
  }

  /**
   * How the store file must be opened: H2 never commits on its own, only checkpoints do, and the file keeps the buffer
   * checkpoints are written from ({@link StoreFile}). Opens the file (locks it).
   */
  static MVStore.Builder storeBuilder(Path file) {
    StoreFile store = new StoreFile(StoreFile.defaultMaxKept());
    store.open(file.toString(), false, null);
    return new MVStore.Builder().adoptFileStore(store).autoCommitDisabled().autoCommitBufferSize(0);
  }

  private void recover() throws IOException {
    Object id = journalState.get(STORE_ID);
    UUID storeId = id instanceof String text ? UUID.fromString(text) : UUID.randomUUID();
    if (id == null) {
      journalState.put(STORE_ID, storeId.toString());
    }
    long applied = journalState.get(APPLIED) instanceof Long seq ? seq : 0L;
    EmbeddedChannel replayChannel = new EmbeddedChannel();
    long last;
    try {
      last = Journal.replay(journalDir, storeId, applied, entry -> replay(replayChannel, entry));
    } finally {
      handleClose(replayChannel);
      replayChannel.finishAndReleaseAll();
    }
    if (last > applied) {
      log.info("embedded store recovered {} writes from its journal past its last checkpoint", last - applied);
    }
    checkpointWholeJournal(last);
    journal = Journal.open(journalDir, storeId, last);
    // starts H2's page serializing and writing threads, which checkpoints use; H2's own commits stay off
    getMvStore().setAutoCommitDelay(Integer.MAX_VALUE);
    checkpointer = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = new Thread(task, "hubbub-checkpoint");
      thread.setDaemon(true);
      return thread;
    });
    var unused = checkpointer.scheduleWithFixedDelay(this::checkpointLogged, CHECKPOINT_MS, CHECKPOINT_MS, TimeUnit.MILLISECONDS);
  }

  /**
   * With no journal being written (at open, before it starts; at close, after it stopped): commits and syncs the file
   * holding every record up to {@code applied}, the journal's last, and deletes the journal's segments.
   */
  private void checkpointWholeJournal(long applied) throws IOException {
    MVStore store = getMvStore();
    journalState.put(APPLIED, applied);
    store.commit();
    store.sync();
    for (Path segment : Journal.segments(journalDir)) {
      Files.delete(segment);
    }
    checkpointed = applied;
  }

  private void replay(Channel channel, Journal.Entry entry) {
    Document command = InsertBytes.decodeRecord(entry.command(), entry.bson()); // inserts stored as recorded
    clock.fix(entry.timeMillis());
    try {
      apply(channel, entry.database(), entry.command(), command);
    } catch (RuntimeException e) {
      log.debug("a journaled write failed again on replay, as it did when it ran [seq: {}, error: {}]", entry.seq(), e.toString());
    } finally {
      clock.release();
      InsertBytes.forget();
    }
  }

  @Override
  public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
    if (auth != null) {
      if (command.equalsIgnoreCase("saslStart")) {
        return auth.saslStart(channel, query);
      }
      if (command.equalsIgnoreCase("saslContinue")) {
        return auth.saslContinue(channel, query);
      }
      auth.check(channel, command);
    }
    if (command.equalsIgnoreCase(BACKUP)) {
      return backup(query);
    }
    if (isWrite(command, query)) {
      return write(channel, databaseName, command, query);
    }
    Document response = super.handleCommand(channel, databaseName, command, query);
    if (auth != null && command.equalsIgnoreCase("ismaster") && query.containsKey("saslSupportedMechs")) {
      response.put("saslSupportedMechs", List.of(ScramServer.MECHANISM)); // a URI without authMechanism finds it
    }
    return response;
  }

  private Document write(Channel channel, String databaseName, String command, Document query) {
    Journal journaling = journal;
    if (journaling == null) {
      throw new MongoServerError(91, "ShutdownInProgress", "the embedded store is closing");
    }
    nameInsertedDocuments(command, query);
    ByteBuf bson = InsertBytes.encodeCommand(query); // an insert's documents as they came, when the store keeps them so
    if (bson == null) {
      if (query.get("documents") instanceof List<?> documents) { // none of them kept: each decoded whole to encode
        for (Object document : documents) {
          if (document instanceof Document inserted) {
            InsertBytes.complete(inserted, null);
          }
        }
      }
      bson = Unpooled.buffer(256);
      BsonEncoder.encodeDocument(query, bson);
    }
    CompletableFuture<Void> durable;
    Document response = null;
    RuntimeException failure = null;
    try {
      long now = System.currentTimeMillis();
      writes.lock();
      try {
        try {
          journaling.check();
        } catch (IllegalStateException e) {
          throw new MongoServerError(91, "ShutdownInProgress", e.getMessage() + ": writes are refused until a restart");
        }
        clock.fix(now);
        try {
          response = apply(channel, databaseName, command, query);
        } catch (RuntimeException e) {
          failure = e;
        } finally {
          clock.release();
        }
        ByteBuf patched = withUpsertedIds(command, bson, response);
        durable = journaling.append(databaseName, command, patched == null ? bson : patched, now, journaled(query));
        if (patched != null) {
          patched.release();
        }
      } finally {
        writes.unlock();
      }
    } finally {
      bson.release();
    }
    if (durable != null) {
      // this thread writes the group when none is being written, but not beside the file's sync: that can stall the
      // disk for long, and this thread serves other connections
      journaling.sync(!syncingFile);
      DurableReplies.awaitDurable(channel, durable);
    }
    if (journaling.bytesSinceRotation() > CHECKPOINT_MB << 20 && checkpointQueued.compareAndSet(false, true)) {
      checkpointer.execute(() -> {
        checkpointQueued.set(false);
        checkpointLogged();
      });
    }
    if (failure != null) {
      throw failure;
    }
    return response;
  }

  /** Applies a write command; one that may change stored documents finds copies of them to change. */
  private Document apply(Channel channel, String databaseName, String command, Document query) {
    if (!changesInPlace(command)) {
      return super.handleCommand(channel, databaseName, command, query);
    }
    updating = Thread.currentThread();
    try {
      return super.handleCommand(channel, databaseName, command, query);
    } finally {
      updating = null;
    }
  }

  /**
   * Whether a write command may change a stored document (mongo-java-server's updates put the new fields into the
   * object they found): every write but inserts and deletes, which only add or remove objects.
   */
  private static boolean changesInPlace(String command) {
    return !command.equalsIgnoreCase("insert") && !command.equalsIgnoreCase("delete");
  }

  private static boolean isWrite(String command, Document query) {
    String name = command.toLowerCase(Locale.ROOT);
    if (name.equals("aggregate")) {
      return query.get("pipeline") instanceof List<?> stages
        && stages.stream().anyMatch(stage -> stage instanceof Document d && (d.containsKey("$out") || d.containsKey("$merge")));
    }
    return !READS.contains(name);
  }

  private static boolean journaled(Document query) {
    return query.get("writeConcern") instanceof Document concern && Boolean.TRUE.equals(concern.get("j"));
  }

  /** An inserted document without {@code _id} gets one here, so that the journal records the one the store keeps. */
  private static void nameInsertedDocuments(String command, Document query) {
    if (command.equalsIgnoreCase("insert") && query.get("documents") instanceof List<?> documents) {
      for (Object document : documents) {
        if (document instanceof Document d && !d.containsKey("_id")) {
          d.put("_id", new ObjectId());
        }
      }
    }
  }

  /**
   * When an upsert made an {@code _id}, the command to record instead of {@code bson}: with that {@code _id} in the
   * upsert's query (so that a replay makes the same one; on replay nothing matched either). Null otherwise.
   */
  private static ByteBuf withUpsertedIds(String command, ByteBuf bson, Document response) {
    if (response == null) {
      return null;
    }
    Document recorded = null;
    if (command.equalsIgnoreCase("update") && response.get("upserted") instanceof List<?> upserts) {
      for (Object upsert : upserts) {
        if (upsert instanceof Document made && made.get("index") instanceof Number index) {
          recorded = recorded != null ? recorded : BsonDecoder.decodeBson(bson.duplicate());
          if (recorded.get("updates") instanceof List<?> updates && updates.get(index.intValue()) instanceof Document update
            && update.get("q") instanceof Document q && !q.containsKey("_id")) {
            q.put("_id", made.get("_id"));
          }
        }
      }
    } else if (command.equalsIgnoreCase("findAndModify") && response.get("lastErrorObject") instanceof Document outcome
      && outcome.containsKey("upserted")) {
      recorded = BsonDecoder.decodeBson(bson.duplicate());
      if (recorded.get("query") instanceof Document q && !q.containsKey("_id")) {
        q.put("_id", outcome.get("upserted"));
      } else if (!recorded.containsKey("query")) {
        recorded.put("query", new Document("_id", outcome.get("upserted")));
      }
    }
    if (recorded == null) {
      return null;
    }
    ByteBuf encoded = Unpooled.buffer(bson.readableBytes() + 64);
    BsonEncoder.encodeDocument(recorded, encoded);
    return encoded;
  }

  private void checkpointLogged() {
    try {
      checkpoint();
    } catch (IOException | RuntimeException e) {
      log.error("embedded store checkpoint failed: writes go on in the journal, and the next checkpoint tries again [error: {}]",
        e.toString());
    }
  }

  /**
   * Makes the file hold every write applied so far and deletes the journal segments it holds. The write lock is held
   * only while H2 takes the commit's roots: its pages are serialized and written with writes going on.
   */
  private void checkpoint() throws IOException {
    MVStore store = getMvStore();
    long applied;
    Journal journaling;
    writes.lock();
    try {
      journaling = journal;
      if (journaling == null || store.isClosed()) {
        return;
      }
      applied = journaling.lastSeq();
      if (applied == checkpointed && !store.hasUnsavedChanges()) {
        return;
      }
      journalState.put(APPLIED, applied);
      if (store.tryCommit() < 0 && store.hasUnsavedChanges() && store.commit() < 0 && store.hasUnsavedChanges()) {
        // H2 made no commit (a store operation of its own in progress): the journal stays whole until the next try
        throw new IOException("H2 did not commit the checkpoint of seq " + applied);
      }
      journaling.rotate();
    } finally {
      writes.unlock();
    }
    if (checkpointPauseMs > 0) {
      log.warn("failpoint {}: checkpoint of seq {} committed, pausing {} ms before its sync", CHECKPOINT_PAUSE_PROPERTY,
        applied, checkpointPauseMs);
      sleep(checkpointPauseMs);
    }
    syncingFile = true;
    try {
      store.executeFilestoreOperation(store::sync); // once H2's threads have written the commit's pages
    } finally {
      syncingFile = false;
    }
    journaling.dropThrough(applied);
    checkpointed = applied;
    // H2's own housekeeping is off with its auto-commit: a little of it after each checkpoint
    store.compact(COMPACT_BELOW_PERCENT, COMPACT_BYTES);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Runs {@code action} with writes held, right after a synced checkpoint of everything applied: the file then holds
   * every write answered so far. For backups.
   */
  <T> T atCheckpoint(Callable<T> action) throws Exception {
    MVStore store = getMvStore();
    writes.lock();
    try {
      Journal journaling = journal;
      long applied = journaling == null ? checkpointed : journaling.lastSeq();
      journalState.put(APPLIED, applied);
      store.commit();
      store.sync();
      return action.call();
    } finally {
      writes.unlock();
    }
  }

  /**
   * An online backup ({@link StoreBackup}) into the folder the command names; only a signed-in client (the owner of
   * the data folder's credentials) gets here.
   */
  private Document backup(Document query) {
    if (!(query.get("to") instanceof String to) || to.isBlank()) {
      throw new MongoServerError(2, "BadValue", "'to' must name the folder to write the backup in");
    }
    try {
      StoreBackup.Manifest manifest = StoreBackup.write(getMvStore(), this::atCheckpoint, Path.of(to));
      return new Document("ok", 1.0).append("bytes", manifest.bytes()).append("sha256", manifest.sha256());
    } catch (Exception e) {
      throw new MongoServerError(8000, "BackupFailed", "backup to " + to + " failed: " + e.getMessage());
    }
  }

  /**
   * A command sent in an OP_MSG, as every driver of today sends them. A find may answer documents as they are stored
   * ({@link StoredReplies}), on a connection whose replies that encoder writes; a getMore may carry on such a find's
   * cursor, so its connection gets the encoder too. (A command sent in a legacy OP_QUERY is answered in an OP_REPLY,
   * which another encoder writes, so it never takes this path.)
   */
  @Override
  public Document handleMessage(MongoMessage message) {
    Channel channel = message.getChannel();
    if (channel != null) {
      InsertBytes.install(channel); // on a connection's first message, before any insert
    }
    try {
      String command = message.getDocument().isEmpty() ? "" : message.getDocument().keySet().iterator().next();
      boolean find = command.equalsIgnoreCase("find");
      boolean getMore = command.equalsIgnoreCase("getMore");
      if (channel == null || !(find || getMore) || !StoredReplies.install(channel) || getMore) {
        return super.handleMessage(message);
      }
      ANSWERING_FIND.set(Boolean.TRUE);
      try {
        return super.handleMessage(message);
      } finally {
        ANSWERING_FIND.remove();
      }
    } finally {
      InsertBytes.forget();
    }
  }

  /** The legacy OP_QUERY path (no driver of today uses it; an old client could): signed in first, too. */
  @Override
  public QueryResult handleQuery(MongoQuery query) {
    if (auth != null) {
      auth.check(query.getChannel(), "query");
    }
    return super.handleQuery(query);
  }

  /** Stops checkpointing, checkpoints everything applied (the journal is then empty), and closes the file. */
  @Override
  public void close() {
    Journal journaling = journal;
    if (checkpointer != null) {
      checkpointer.shutdown();
      try {
        checkpointer.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (journaling != null) {
      try {
        writes.lock();
        try {
          journal = null; // writes from now on are refused
        } finally {
          writes.unlock();
        }
        journaling.close();
        checkpointWholeJournal(journaling.lastSeq());
      } catch (IOException | RuntimeException e) {
        log.error("embedded store's last checkpoint failed: its journal replays at the next start [error: {}]", e.toString());
      }
    }
    super.close();
  }

  @Override
  protected MongoDatabase openOrCreateDatabase(String databaseName) {
    return new Database(databaseName);
  }

  /** The time mongo-java-server reads while a write runs or replays: the time its journal record carries. */
  private static final class RecordClock extends Clock {

    private static final ThreadLocal<Instant> FIXED = new ThreadLocal<>();

    void fix(long millis) {
      FIXED.set(Instant.ofEpochMilli(millis));
    }

    void release() {
      FIXED.remove();
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return Clock.system(zone);
    }

    @Override
    public Instant instant() {
      Instant at = FIXED.get();
      return at != null ? at : Instant.now();
    }
  }

  /**
   * A collection whose stored document objects never change: an update (a query run by the thread in {@link #updating})
   * finds deep copies, which mongo-java-server changes and then puts in the map. A checkpoint serializing a page with
   * writes going on, and a read encoding its reply, keep the object they hold as it was.
   */
  private class CopyOnUpdateCollection extends H2Collection {

    /** The {@code $in} of strings being matched on this thread, if that is the query under way. */
    private static final ThreadLocal<StringsIn> MATCHING = new ThreadLocal<>();

    CopyOnUpdateCollection(MongoDatabase database, String name, CollectionOptions options, MVMap<Object, Document> data,
                           MVMap<String, Object> meta) {
      super(database, name, options, data, meta, DurableH2Backend.this.getCursorRegistry());
    }

    @Override
    protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize,
                                         Document fieldSelector) {
      StringsIn in = StringsIn.of(query);
      QueryResult found;
      if (in == null) {
        found = super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
      } else {
        MATCHING.set(in);
        try {
          found = super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
        } finally {
          MATCHING.remove();
        }
      }
      if (updating != Thread.currentThread() || !sharesDocuments()) {
        return found;
      }
      List<Document> copies = new ArrayList<>();
      for (Document document : found) {
        copies.add(document.cloneDeeply());
      }
      return new QueryResult(copies, found.getCursorId());
    }

    @Override
    @SuppressWarnings("ReferenceEquality") // the very query whose list was taken, not another equal to it
    protected boolean documentMatchesQuery(Document document, Document query) {
      StringsIn in = MATCHING.get();
      return (in != null && in.query() == query) ? in.matches(document) : super.documentMatchesQuery(document, query);
    }

    /** Whether the documents queries find are the objects the map holds (so an update must be given copies). */
    boolean sharesDocuments() {
      return true;
    }

    /**
     * Inserts documents, with the fields the wire decoder left undecoded ({@link InsertBytes.Deferred}) decoded first
     * where this collection reads them: all of them here, since the map holds the objects.
     */
    @Override
    public synchronized List<Document> insertDocuments(List<Document> documents, boolean isOrdered) {
      Set<String> read = fieldsRead();
      for (Document document : documents) {
        InsertBytes.complete(document, read);
      }
      return super.insertDocuments(documents, isOrdered);
    }

    /** The top-level fields an insert reads of a document it stores; null for all of them. */
    Set<String> fieldsRead() {
      return null;
    }
  }

  /**
   * A collection of this backend's own type: its map holds each document as BSON ({@link BsonDocuments}), encoded
   * when it is put and decoded each time it is read, so whatever finds a document has its own object: updates need
   * no copies, and nothing a query holds is what a page being written holds. Every method of {@link H2Collection}
   * that touches the map is replaced here; its own map field (given this one, typed for documents) is never read.
   */
  private final class PackedCollection extends CopyOnUpdateCollection {

    private final MVMap<Object, byte[]> packed;

    @SuppressWarnings("unchecked") // the superclass's map is never read: every method using it is overridden below
    PackedCollection(MongoDatabase database, String name, CollectionOptions options, MVMap<Object, byte[]> packed,
                     MVMap<String, Object> meta) {
      super(database, name, options, (MVMap<Object, Document>) (MVMap<?, ?>) packed, meta);
      this.packed = packed;
    }

    @Override
    boolean sharesDocuments() {
      return false;
    }

    /** Those its indexes hold: the document itself is stored as the bytes it came in ({@link #addDocumentInternal}). */
    @Override
    Set<String> fieldsRead() {
      Set<String> read = new HashSet<>();
      for (Index<Object> index : getIndexes()) {
        for (IndexKey key : index.getKeys()) {
          int dot = key.getKey().indexOf('.');
          read.add(dot < 0 ? key.getKey() : key.getKey().substring(0, dot));
        }
      }
      return read;
    }

    /**
     * The size of the collection's documents is kept here, from the BSON put and taken out of the map: the
     * library would encode each document once more to learn its size (twice for an update).
     */
    @Override
    protected boolean tracksDataSize() {
      return false;
    }

    /**
     * A find of {@code {_id: {$in: [strings]}}} with no sort, skip or limit, and no projection or one of top-level
     * fields ({@link StoredFields}), which is how storage reads buckets, looks each key up in the map and answers the
     * stored bytes ({@link StoredReplies}), in the order the library's {@code _id} index would find them; any other
     * query is the library's.
     */
    @Override
    protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize,
                                         Document fieldSelector) {
      StringsIn in = ANSWERING_FIND.get() != null && numberToSkip == 0 && limit == 0 && (orderBy == null || orderBy.isEmpty())
        ? StringsIn.of(query) : null;
      StoredFields fields = in == null || fieldSelector == null || fieldSelector.isEmpty() ? null
        : StoredFields.of(fieldSelector, getIdField());
      if (in == null || !in.field().equals(getIdField()) || (fields == null && fieldSelector != null && !fieldSelector.isEmpty())) {
        return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
      }
      List<String> keys = new ArrayList<>(in.values()); // distinct
      Collections.sort(keys); // the index's order: ValueComparator orders strings as compareTo does
      List<Document> found = new ArrayList<>(keys.size());
      for (String key : keys) {
        byte[] bson = packed.get(key);
        if (bson != null) {
          found.add(StoredReplies.placeholder(fields == null ? bson : fields.apply(bson)));
        }
      }
      return createQueryResult(found, batchSize);
    }

    @Override
    protected Object addDocumentInternal(Document document) {
      Object key = getIdField() != null ? Utils.getSubdocumentValue(document, getIdField()) : UUID.randomUUID();
      byte[] sent = InsertBytes.take(document); // its BSON as the client sent it, for an insert
      if (sent == null) {
        InsertBytes.complete(document, null); // (bytes are kept for every document that has deferred fields)
      }
      byte[] bson = sent != null ? sent : BsonDocuments.encode(document);
      byte[] previous = packed.put(Missing.ofNullable(key), bson);
      Assert.isNull(previous, () -> "Document with key '" + key + "' already existed in " + this);
      updateDataSize(bson.length);
      return key;
    }

    @Override
    protected Document getDocument(Object position) {
      return BsonDocuments.decode(packed.get(position));
    }

    @Override
    protected void removeDocument(Object position) {
      byte[] removed = packed.remove(position);
      if (removed == null) {
        throw new NoSuchElementException("No document with key " + position);
      }
      updateDataSize(-removed.length);
    }

    @Override
    protected Stream<DocumentWithPosition<Object>> streamAllDocumentsWithPosition() {
      return packed.entrySet().stream().map(entry -> new DocumentWithPosition<>(BsonDocuments.decode(entry.getValue()), entry.getKey()));
    }

    @Override
    protected QueryResult matchDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize,
                                         Document fieldSelector) {
      Stream<Document> documents = isNaturalDescending(orderBy)
        ? streamAllDocumentsWithPosition().sorted((a, b) -> ValueComparator.desc().compare(a.getPosition(), b.getPosition()))
          .map(DocumentWithPosition::getDocument)
        : packed.values().stream().map(BsonDocuments::decode);
      return matchDocumentsFromStream(documents, query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
    }

    @Override
    protected void handleUpdate(Object position, Document oldDocument, Document newDocument) {
      byte[] bson = BsonDocuments.encode(newDocument);
      byte[] previous = packed.put(Missing.ofNullable(position), bson);
      updateDataSize(bson.length - (previous == null ? 0 : previous.length));
    }
  }

  /**
   * A query {@code {field: {$in: [strings]}}} on a top-level field, matched with a hash set. mongo-java-server
   * matches each document it found (by an index, or all of them) against the list, one value at a time, and
   * normalizes every value on the way: a read of a stream asks for a few hundred bucket keys, and that matching cost
   * more than the lookups. A document matches when the field is one of the strings, or an array holding one of them;
   * a string can equal nothing else, so this is the whole of {@code $in}'s meaning for such a list. Any other query
   * (another operator beside it, a value that is not a string, a dotted path) is matched by mongo-java-server.
   */
  record StringsIn(Document query, String field, Set<String> values) {

    static StringsIn of(Document query) {
      if (query.size() != 1) {
        return null;
      }
      String field = query.keySet().iterator().next();
      if (field.startsWith("$") || field.contains(".")
          || !(query.get(field) instanceof Document operator) || operator.size() != 1
          || !(operator.get("$in") instanceof Collection<?> list)) {
        return null;
      }
      Set<String> values = new HashSet<>(list.size() * 2);
      for (Object value : list) {
        if (!(value instanceof String string)) {
          return null;
        }
        values.add(string);
      }
      return new StringsIn(query, field, values);
    }

    boolean matches(Document document) {
      Object value = document.get(field);
      if (value instanceof String string) {
        return values.contains(string);
      }
      if (value instanceof Collection<?> elements) {
        for (Object element : elements) {
          if (element instanceof String string && values.contains(string)) {
            return true;
          }
        }
      }
      return false;
    }
  }

  /**
   * An H2 database whose new collections and indexes use this backend's types. An inner class: H2Database's
   * constructor opens the collections and indexes a file holds, before a subclass's own fields are set, and
   * the outer backend is already there.
   */
  private final class Database extends H2Database {

    private static final String DATA_PREFIX = "databases.";
    private static final String META_PREFIX = "meta.";

    Database(String name) {
      super(name, DurableH2Backend.this.getMvStore(), DurableH2Backend.this.getCursorRegistry());
    }

    @Override
    protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
      MVStore store = getMvStore();
      String name = DATA_PREFIX + getFullCollectionNamespace(collectionName); // as H2Database names them
      MVMap<String, Object> meta = store.openMap(META_PREFIX + getFullCollectionNamespace(collectionName));
      boolean byIds = ours(name, BSON_DOCUMENTS_BY_IDS);
      if (byIds || ours(name, BSON_DOCUMENTS)) {
        MVMap.Builder<Object, byte[]> packed = new MVMap.Builder<Object, byte[]>().valueType(new BsonDocuments());
        if (byIds) {
          packed.keyType(new DocumentIds()); // else H2's ObjectDataType, as such a collection was made
        }
        return new PackedCollection(this, collectionName, options, store.openMap(name, packed), meta);
      }
      // made by the plain backend: as it opens it
      return new CopyOnUpdateCollection(this, collectionName, options, store.openMap(name), meta);
    }

    @Override
    protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                    boolean sparse) {
      String name = indexMap(collectionName, indexName);
      if (!ours(name, ORDERED_INDEX)) {
        return super.openOrCreateUniqueIndex(collectionName, indexName, keys, sparse);
      }
      MVMap<Object, Object> map = getMvStore().openMap(name, new MVMap.Builder<Object, Object>().keyType(new KeyOrder()));
      return new OrderedIndex(map, indexName, keys, sparse);
    }

    @Override
    protected void dropIndex(MongoCollection<Object> collection, String indexName) {
      super.dropIndex(collection, indexName);
      getMvStore().<String, Integer>openMap(MAP_TYPES).remove(indexMap(collection.getCollectionName(), indexName));
    }

    @Override
    public void dropCollection(String collectionName, Oplog oplog) {
      super.dropCollection(collectionName, oplog);
      getMvStore().<String, Integer>openMap(MAP_TYPES).remove(DATA_PREFIX + getFullCollectionNamespace(collectionName));
    }

    @Override
    public void drop(Oplog oplog) {
      super.drop(oplog);
      String database = getDatabaseName() + ".";
      MVMap<String, Integer> types = getMvStore().openMap(MAP_TYPES);
      List.copyOf(types.keySet()).stream()
        .filter(name -> name.startsWith(database) || name.startsWith(DATA_PREFIX + database))
        .forEach(types::remove);
    }

    private String indexMap(String collectionName, String indexName) {
      return getFullCollectionNamespace(collectionName) + "._index_" + indexName; // as H2Database names it
    }

    /**
     * Whether the map is (or, being new, now becomes) one of this backend's own type: a map the file holds
     * without the mark was made by the plain backend and keeps its format.
     */
    private boolean ours(String name, int type) {
      MVMap<String, Integer> types = getMvStore().openMap(MAP_TYPES);
      Integer marked = types.get(name);
      if (marked != null) {
        return marked == type;
      }
      if (getMvStore().hasMap(name)) {
        return false;
      }
      types.put(name, type);
      return true;
    }
  }
}
