package io.hubbub.storage;

import io.hubbub.bus.Failures;
import io.hubbub.bus.StorageBus;
import io.hubbub.conf.HubbubConf;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.BulkOperation;
import io.vertx.ext.mongo.BulkWriteOptions;
import io.vertx.ext.mongo.FindOptions;
import io.vertx.ext.mongo.MongoClient;
import io.vertx.ext.mongo.UpdateOptions;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The narrow document operations the domain verticles need: insert, find and delete by {@code _id},
 * add a string to or remove one from an array field, write whole documents and fetch many by
 * {@code _id}, and list a small collection by {@code _id}, in a fixed set of collections (users,
 * sessions, rooms, devices, …). Never a query a caller wrote.
 */
final class DocStore {

  private final MongoClient mongo;
  private final StoreCalls calls;
  /** The collections the domain verticles keep documents in. */
  private static final List<String> OWN_COLLECTIONS =
    List.of("users", "names", "sessions", "rooms", "devices", "aggregates", "sensors", "erasures");

  private final Set<String> collections;

  DocStore(MongoClient mongo, StoreCalls calls, HubbubConf.Storage conf) {
    this.mongo = mongo;
    this.calls = calls;
    this.collections = collections(conf);
  }

  /**
   * The collections the document operations may touch: the verticles' own always, and any the conf adds (a conf
   * written before one was added keeps working).
   */
  static Set<String> collections(HubbubConf.Storage conf) {
    Set<String> all = new TreeSet<>(OWN_COLLECTIONS);
    all.addAll(conf.collections());
    return all;
  }

  Future<Void> insert(StorageBus.DocInsert insert) {
    return calls.guard(mongo.insertWithOptions(collection(insert.collection()), insert.doc(), calls.writes())).mapEmpty();
  }

  Future<JsonObject> find(StorageBus.DocKey key) {
    return calls.guard(mongo.findOne(collection(key.collection()), id(key.id()), null)).map(doc -> {
      if (doc == null) {
        throw Failures.of(Failures.NOT_FOUND, "no such document");
      }
      return doc;
    });
  }

  Future<Long> delete(StorageBus.DocKey key) {
    return calls.guard(mongo.removeDocumentWithOptions(collection(key.collection()), id(key.id()), calls.writes()))
      .map(result -> result == null ? 0L : result.getRemovedCount());
  }

  /** Writes whole documents by {@code _id}, each replacing the one there (or created): one journaled bulk write. */
  Future<Void> put(StorageBus.DocPut put) {
    String collection = collection(put.collection());
    List<BulkOperation> writes = new ArrayList<>();
    put.docs().forEach(doc -> writes.add(BulkOperation.createReplace(id(((JsonObject) doc).getString("_id")), (JsonObject) doc, true)));
    BulkWriteOptions options = new BulkWriteOptions().setOrdered(true).setWriteOption(calls.writes());
    return calls.guard(mongo.bulkWriteWithOptions(collection, writes, options)).mapEmpty();
  }

  /**
   * Writes a document whole while the stored one's {@code field} still holds {@code expected}; answers whether it did.
   * The condition is an equality on a string, so nothing in it is read as an operator.
   */
  Future<Boolean> swap(StorageBus.DocSwap swap) {
    String collection = collection(swap.collection());
    JsonObject query = id(swap.doc().getString("_id")).put(swap.field(), swap.expected());
    UpdateOptions options = new UpdateOptions().setUpsert(false).setWriteOption(calls.writes());
    return calls.guard(mongo.replaceDocumentsWithOptions(collection, query, swap.doc(), options))
      .map(result -> result != null && result.getDocMatched() > 0);
  }

  /** The documents with these {@code _id}s (those that exist), in {@code _id} order: exact lookups in the primary index. */
  Future<List<JsonObject>> get(StorageBus.DocGet get) {
    JsonObject query = new JsonObject().put("_id", new JsonObject().put("$in", get.ids()));
    return calls.guard(mongo.find(collection(get.collection()), query)).map(docs -> {
      List<JsonObject> sorted = new ArrayList<>(docs);
      sorted.sort(Comparator.comparing(doc -> doc.getString("_id")));
      return sorted;
    });
  }

  /** Deletes the documents with these {@code _id}s: exact lookups in the primary index. */
  Future<Long> deleteMany(StorageBus.DocGet ids) {
    JsonObject query = new JsonObject().put("_id", new JsonObject().put("$in", ids.ids()));
    return calls.guard(mongo.removeDocumentsWithOptions(collection(ids.collection()), query, calls.writes()))
      .map(result -> result == null ? 0L : result.getRemovedCount());
  }

  /**
   * Deletes the documents whose field is the value, or whose {@code _id} starts with it: a query on an unindexed field
   * or an anchored {@code _id} pattern (MongoDB walks its index for it; the embedded store scans the collection), for
   * rare deletions (a user's sessions, a device's aggregates). The value is matched as text, never as a pattern.
   */
  Future<Long> deleteWhere(StorageBus.DocWhere where) {
    // with an end: the ids from the prefix up to it, a range (that begins with the prefix, when the end does)
    JsonObject ids = where.before() != null && where.before().startsWith(where.value())
      ? new JsonObject().put("$gte", where.value()).put("$lt", where.before())
      : new JsonObject().put("$regex", "^" + literal(where.value()));
    JsonObject query = !where.prefix() ? new JsonObject().put(where.field(), where.value()) : new JsonObject().put("_id", ids);
    return calls.guard(mongo.removeDocumentsWithOptions(collection(where.collection()), query, calls.writes()))
      .map(result -> result == null ? 0L : result.getRemovedCount());
  }

  /**
   * A regular expression matching exactly this text, for Java's and MongoDB's (PCRE) alike: ASCII letters and digits
   * as they are, other ASCII characters escaped, the rest as {@code \x{hex}}.
   */
  static String literal(String text) {
    StringBuilder pattern = new StringBuilder(text.length() * 2);
    text.codePoints().forEach(c -> {
      if (c < 128 && Character.isLetterOrDigit(c)) {
        pattern.appendCodePoint(c);
      } else if (c < 128) {
        pattern.append('\\').appendCodePoint(c);
      } else {
        pattern.append("\\x{").append(Integer.toHexString(c)).append('}');
      }
    });
    return pattern.toString();
  }

  /** Adds a string to an array field ({@code $addToSet}); answers {@code {changed}}, 404 when the document is absent. */
  Future<JsonObject> add(StorageBus.DocChange change) {
    return change(change, "$addToSet");
  }

  /** Removes a string from an array field ({@code $pull}); answers {@code {changed}}, 404 when the document is absent. */
  Future<JsonObject> remove(StorageBus.DocChange change) {
    return change(change, "$pull");
  }

  /** The first {@code limit} documents of a collection by {@code _id}: for the small collections (rooms, devices). */
  Future<List<JsonObject>> list(StorageBus.DocList list) {
    FindOptions options = new FindOptions().setSort(new JsonObject().put("_id", 1)).setLimit(list.limit());
    return calls.guard(mongo.findWithOptions(collection(list.collection()), new JsonObject(), options))
      .map(docs -> docs);
  }

  private Future<JsonObject> change(StorageBus.DocChange change, String operator) {
    String collection = collection(change.collection());
    JsonObject update = new JsonObject().put(operator, new JsonObject().put(change.field(), change.value()));
    UpdateOptions options = new UpdateOptions().setWriteOption(calls.writes());
    return calls.guard(mongo.updateCollectionWithOptions(collection, id(change.id()), update, options))
      .compose(result -> {
        if (result == null || result.getDocMatched() == 0) {
          throw Failures.of(Failures.NOT_FOUND, "no such document");
        }
        // not the document: a room's member list is as long as the room, and a join must not cost that
        return Future.succeededFuture(new JsonObject().put("changed", result.getDocModified() > 0));
      });
  }

  /** The collection, if it is one of those this store serves; 400 otherwise. */
  private String collection(String collection) {
    if (!collections.contains(collection)) {
      throw Failures.badRequest("'collection' must be one of " + collections);
    }
    return collection;
  }

  private static JsonObject id(String id) {
    return new JsonObject().put("_id", id);
  }
}
