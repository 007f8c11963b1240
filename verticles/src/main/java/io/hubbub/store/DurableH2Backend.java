package io.hubbub.store;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import java.util.List;
import java.util.Set;

/**
 * mongo-java-server's H2 backend, made to honour journaled writes and to keep its indexes cheap.
 *
 * <p>The H2 store commits its file lazily, so a write that asks for {@code j: true} is committed and
 * synced to disk before it is answered. Storage asks for journaled writes, so an acknowledged event
 * survives a SIGKILL.
 *
 * <p>Indexes created by this backend order their keys with {@link KeyOrder}; the names of those maps
 * are kept in the map {@value #KEY_ORDER_MAP}, and an index a file already held without that mark
 * (made by the plain backend) keeps the order it was built with.
 */
final class DurableH2Backend extends H2Backend {

  static final String KEY_ORDER_MAP = "hubbub.keyOrder";
  private static final Set<String> WRITES = Set.of("insert", "update", "delete", "findandmodify");

  DurableH2Backend(MVStore store) {
    super(store);
  }

  @Override
  public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
    Document response = super.handleCommand(channel, databaseName, command, query);
    if (WRITES.contains(command.toLowerCase()) && journaled(query)) {
      syncToDisk();
    }
    return response;
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
   * An H2 database whose new indexes use {@link KeyOrder}. An inner class: H2Database's constructor opens
   * the indexes a file holds, before a subclass's own fields are set, and the outer backend is already there.
   */
  private final class Database extends H2Database {

    Database(String name) {
      super(name, DurableH2Backend.this.getMvStore(), DurableH2Backend.this.getCursorRegistry());
    }

    @Override
    protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                    boolean sparse) {
      MVStore store = getMvStore();
      String name = getFullCollectionNamespace(collectionName) + "._index_" + indexName; // as H2Database names it
      MVMap<String, Integer> ordered = store.openMap(KEY_ORDER_MAP);
      if (store.hasMap(name) && !ordered.containsKey(name)) {
        return super.openOrCreateUniqueIndex(collectionName, indexName, keys, sparse);
      }
      ordered.put(name, 1);
      MVMap<KeyValue, Object> map = store.openMap(name, new MVMap.Builder<KeyValue, Object>().keyType(new KeyOrder()));
      return new OrderedIndex(map, indexName, keys, sparse);
    }

    @Override
    protected void dropIndex(MongoCollection<Object> collection, String indexName) {
      super.dropIndex(collection, indexName);
      getMvStore().<String, Integer>openMap(KEY_ORDER_MAP)
        .remove(getFullCollectionNamespace(collection.getCollectionName()) + "._index_" + indexName);
    }
  }
}
