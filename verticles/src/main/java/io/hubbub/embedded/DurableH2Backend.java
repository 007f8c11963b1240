package io.hubbub.embedded;

import java.util.Locale;
import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;
import de.bwaldvogel.mongo.wire.message.MongoQuery;
import io.netty.channel.Channel;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * mongo-java-server's H2 backend, made to honour journaled writes and to keep its indexes cheap.
 *
 * <p>The H2 store commits its file lazily, so a write that asks for {@code j: true} is committed and
 * synced to disk before it is answered. Storage asks for journaled writes, so an acknowledged event
 * survives a SIGKILL.
 *
 * <p>Collections created by this backend keep their documents as BSON ({@link BsonDocuments}) and
 * their indexes order and write keys with {@link KeyOrder}, instead of by Java serialization; the names
 * of those maps are kept in the map {@value #MAP_TYPES}, and a map a file already held without that
 * mark (made by the plain backend) is opened as it was built.
 */
final class DurableH2Backend extends H2Backend {

  /** The maps this backend made with its own types: name → {@link #ORDERED_INDEX} or {@link #BSON_DOCUMENTS}. */
  static final String MAP_TYPES = "hubbub.mapTypes";
  static final int ORDERED_INDEX = 1;
  static final int BSON_DOCUMENTS = 2;
  private static final Set<String> WRITES = Set.of("insert", "update", "delete", "findandmodify");
  /** The command the data tools send for an online backup: {@code {hubbubBackup: 1, to: <folder>}}. */
  static final String BACKUP = "hubbubBackup";

  private final ScramServer auth;
  /** Commands run under its read side; a backup takes the write side for the instant it picks its commit. */
  private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();

  /** {@code auth}: the sign-in every connection must pass first, or null for none (tests of the store itself). */
  DurableH2Backend(MVStore store, ScramServer auth) {
    super(store);
    this.auth = auth;
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
    Document response;
    gate.readLock().lock();
    try {
      response = super.handleCommand(channel, databaseName, command, query);
      if (WRITES.contains(command.toLowerCase(Locale.ROOT)) && journaled(query)) {
        syncToDisk();
      }
    } finally {
      gate.readLock().unlock();
    }
    if (auth != null && command.equalsIgnoreCase("ismaster") && query.containsKey("saslSupportedMechs")) {
      response.put("saslSupportedMechs", List.of(ScramServer.MECHANISM)); // a URI without authMechanism finds it
    }
    return response;
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
      StoreBackup.Manifest manifest = StoreBackup.write(getMvStore(), gate.writeLock(), Path.of(to));
      return new Document("ok", 1.0).append("bytes", manifest.bytes()).append("sha256", manifest.sha256());
    } catch (IOException | RuntimeException e) {
      throw new MongoServerError(8000, "BackupFailed", "backup to " + to + " failed: " + e.getMessage());
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

  @Override
  protected MongoDatabase openOrCreateDatabase(String databaseName) {
    return new Database(databaseName);
  }

  private static boolean journaled(Document query) {
    return query.get("writeConcern") instanceof Document concern && Boolean.TRUE.equals(concern.get("j"));
  }

  private synchronized void syncToDisk() {
    MVStore store = getMvStore();
    store.commit();
    store.sync();
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
      if (!ours(name, BSON_DOCUMENTS)) {
        return super.openOrCreateCollection(collectionName, options);
      }
      MVMap<Object, Document> data = store.openMap(name, new MVMap.Builder<Object, Document>().valueType(new BsonDocuments()));
      MVMap<String, Object> meta = store.openMap(META_PREFIX + getFullCollectionNamespace(collectionName));
      return new H2Collection(this, collectionName, options, data, meta, DurableH2Backend.this.getCursorRegistry());
    }

    @Override
    protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                    boolean sparse) {
      String name = indexMap(collectionName, indexName);
      if (!ours(name, ORDERED_INDEX)) {
        return super.openOrCreateUniqueIndex(collectionName, indexName, keys, sparse);
      }
      MVMap<KeyValue, Object> map = getMvStore().openMap(name, new MVMap.Builder<KeyValue, Object>().keyType(new KeyOrder()));
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
