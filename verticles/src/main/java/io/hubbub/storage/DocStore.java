package io.hubbub.storage;

import io.hubbub.bus.EventRules;
import io.hubbub.bus.Failures;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import io.vertx.ext.mongo.WriteOption;

import java.util.HashSet;
import java.util.Set;

/**
 * The narrow document operations the domain verticles need: insert, find and delete by {@code _id}
 * in a fixed set of collections (users, sessions, …). Never a query a caller wrote.
 */
final class DocStore {

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
    return calls.guard(mongo.insertWithOptions(collection, doc, WriteOption.JOURNALED))
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
    return calls.guard(mongo.removeDocumentWithOptions(collection, key(body), WriteOption.JOURNALED))
      .map(result -> new JsonObject().put("deleted", result == null ? 0 : result.getRemovedCount()));
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
