package io.hubbub.storage;

import io.hubbub.bus.EventRules;
import io.hubbub.bus.Failures;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.BulkOperation;
import io.vertx.ext.mongo.BulkWriteOptions;
import io.vertx.ext.mongo.FindOptions;
import io.vertx.ext.mongo.MongoClient;
import io.vertx.ext.mongo.UpdateOptions;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The narrow document operations the domain verticles need: insert, find and delete by {@code _id},
 * add a string to or remove one from an array field, write whole documents and fetch many by
 * {@code _id}, and list a small collection by {@code _id}, in a fixed set of collections (users,
 * sessions, rooms, devices, …). Never a query a caller wrote.
 */
final class DocStore {

  private static final Pattern FIELD = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");
  private static final int MAX_LIST = 10_000;
  private static final int MAX_PUT = 1_000;

  private final MongoClient mongo;
  private final StoreCalls calls;
  private final Set<String> collections = new HashSet<>();

  DocStore(MongoClient mongo, StoreCalls calls, JsonArray collections) {
    this.mongo = mongo;
    this.calls = calls;
    collections.forEach(c -> this.collections.add((String) c));
  }

  Future<JsonObject> insert(JsonObject body) {
    String collection = collection(body);
    if (!(body.getValue("doc") instanceof JsonObject doc) || !(doc.getValue("_id") instanceof String)) {
      throw Failures.badRequest("'doc' must be an object with a string '_id'");
    }
    EventRules.checkDocument(doc, "doc");
    return calls.guard(mongo.insertWithOptions(collection, doc, calls.writes()))
      .map(id -> new JsonObject());
  }

  Future<JsonObject> find(JsonObject body) {
    String collection = collection(body);
    return calls.guard(mongo.findOne(collection, key(body), null)).map(doc -> {
      if (doc == null) {
        throw Failures.of(Failures.NOT_FOUND, "no such document");
      }
      return new JsonObject().put("doc", doc);
    });
  }

  Future<JsonObject> delete(JsonObject body) {
    String collection = collection(body);
    return calls.guard(mongo.removeDocumentWithOptions(collection, key(body), calls.writes()))
      .map(result -> new JsonObject().put("deleted", result == null ? 0 : result.getRemovedCount()));
  }

  /** Writes whole documents by {@code _id}, each replacing the one there (or created): one journaled bulk write. */
  Future<JsonObject> put(JsonObject body) {
    String collection = collection(body);
    if (!(body.getValue("docs") instanceof JsonArray docs) || docs.isEmpty() || docs.size() > MAX_PUT) {
      throw Failures.badRequest("'docs' must be an array of 1 to " + MAX_PUT + " documents");
    }
    List<BulkOperation> writes = new ArrayList<>();
    for (int i = 0; i < docs.size(); i++) {
      if (!(docs.getValue(i) instanceof JsonObject doc) || !(doc.getValue("_id") instanceof String id)
        || id.isEmpty() || id.length() > 256) {
        throw Failures.badRequest("docs[" + i + "] must be an object with a string '_id' of 1 to 256 characters");
      }
      EventRules.checkDocument(doc, "docs[" + i + "]");
      writes.add(BulkOperation.createReplace(new JsonObject().put("_id", id), doc, true));
    }
    BulkWriteOptions options = new BulkWriteOptions().setOrdered(true).setWriteOption(calls.writes());
    return calls.guard(mongo.bulkWriteWithOptions(collection, writes, options)).map(result -> new JsonObject());
  }

  /** The documents with these {@code _id}s (those that exist), in {@code _id} order: exact lookups in the primary index. */
  Future<JsonObject> get(JsonObject body) {
    String collection = collection(body);
    if (!(body.getValue("ids") instanceof JsonArray ids) || ids.size() > MAX_LIST
      || !ids.stream().allMatch(id -> id instanceof String s && !s.isEmpty() && s.length() <= 256)) {
      throw Failures.badRequest("'ids' must be an array of at most " + MAX_LIST + " strings of 1 to 256 characters");
    }
    JsonObject query = new JsonObject().put("_id", new JsonObject().put("$in", ids));
    return calls.guard(mongo.find(collection, query)).map(docs -> {
      List<JsonObject> sorted = new ArrayList<>(docs);
      sorted.sort(Comparator.comparing(doc -> doc.getString("_id")));
      return new JsonObject().put("docs", new JsonArray(sorted));
    });
  }

  /** Adds a string to an array field ({@code $addToSet}); answers the document as it is now, 404 when absent. */
  Future<JsonObject> add(JsonObject body) {
    return change(body, "$addToSet");
  }

  /** Removes a string from an array field ({@code $pull}); answers the document as it is now, 404 when absent. */
  Future<JsonObject> remove(JsonObject body) {
    return change(body, "$pull");
  }

  /** The first {@code limit} documents of a collection by {@code _id}: for the small collections (rooms, devices). */
  Future<JsonObject> list(JsonObject body) {
    String collection = collection(body);
    int limit = (int) EventRules.optionalLong(body, "limit", 1_000, 1, MAX_LIST);
    JsonObject query = new JsonObject();
    FindOptions options = new FindOptions().setSort(new JsonObject().put("_id", 1)).setLimit(limit);
    return calls.guard(mongo.findWithOptions(collection, query, options))
      .map(docs -> new JsonObject().put("docs", new JsonArray(docs)));
  }

  private Future<JsonObject> change(JsonObject body, String operator) {
    String collection = collection(body);
    JsonObject key = key(body);
    if (!(body.getValue("field") instanceof String field) || !FIELD.matcher(field).matches() || field.equals("_id")) {
      throw Failures.badRequest("'field' must be a field name matching " + FIELD.pattern());
    }
    if (!(body.getValue("value") instanceof String value) || value.length() > 256) {
      throw Failures.badRequest("'value' must be a string of at most 256 characters");
    }
    JsonObject update = new JsonObject().put(operator, new JsonObject().put(field, value));
    UpdateOptions options = new UpdateOptions().setWriteOption(calls.writes());
    return calls.guard(mongo.updateCollectionWithOptions(collection, key, update, options))
      .compose(result -> {
        if (result == null || result.getDocMatched() == 0) {
          throw Failures.of(Failures.NOT_FOUND, "no such document");
        }
        return find(body);
      });
  }

  private String collection(JsonObject body) {
    Object collection = body.getValue("collection");
    if (!(collection instanceof String c) || !collections.contains(c)) {
      throw Failures.badRequest("'collection' must be one of " + collections);
    }
    return c;
  }

  private static JsonObject key(JsonObject body) {
    if (!(body.getValue("id") instanceof String id) || id.isEmpty() || id.length() > 256) {
      throw Failures.badRequest("'id' must be a string of 1 to 256 characters");
    }
    return new JsonObject().put("_id", id);
  }
}
