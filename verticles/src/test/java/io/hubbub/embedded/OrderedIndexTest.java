package io.hubbub.embedded;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.bson.Document;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link OrderedIndex} makes the keys of a document of plain values itself: they are the keys mongo-java-server's
 * own index makes, for random documents of every kind of value (numbers that normalize alike, arrays empty or with
 * repeats, absent and null fields, and values it leaves to the library: dates, sub-documents, arrays of other things,
 * two arrays), under one and two fields.
 */
class OrderedIndexTest {

  private static Object value(Random random) {
    return switch (random.nextInt(16)) {
      case 0 -> "s" + random.nextInt(5);
      case 1 -> random.nextInt(4) - 1;
      case 2 -> (long) random.nextInt(4);
      case 3 -> (1L << 53) + 1 + random.nextInt(3); // not a double without loss: stays a long
      case 4 -> random.nextBoolean() ? -0.0 : 1.0;
      case 5 -> random.nextDouble();
      case 6 -> random.nextBoolean();
      case 7 -> null;
      case 8 -> List.of();
      case 9 -> List.of("t" + random.nextInt(3), "t" + random.nextInt(3), "u"); // repeats now and then
      case 10 -> List.of("t1", 2); // an array of other things: the library's way
      case 11 -> Instant.ofEpochMilli(random.nextInt(1000)); // a date: the library's way
      case 12 -> new Document("x", random.nextInt(3)); // a sub-document: the library's way
      case 13 -> List.of("only");
      default -> "é" + random.nextInt(3);
    };
  }

  @Test
  void keysOfPlainDocumentsAreTheLibrarysKeys() {
    Random random = new Random(11);
    MVStore store = new MVStore.Builder().open(); // in memory
    try {
      int ours = 0;
      for (List<String> fields : List.of(List.of("a"), List.of("a", "b"), List.of("_id"), List.of("b", "a"))) {
        List<IndexKey> keys = fields.stream().map(f -> new IndexKey(f, true)).toList();
        MVMap<Object, Object> map = store.openMap("i" + fields, new MVMap.Builder<Object, Object>().keyType(new KeyOrder()));
        OrderedIndex index = new OrderedIndex(map, "i", keys, false);
        AbstractUniqueIndex<Object> reference = library("ref", keys, false); // its way of making keys
        for (int i = 0; i < 3_000; i++) {
          Document document = new Document();
          for (String field : List.of("a", "b", "_id", "c")) {
            if (random.nextInt(8) != 0) { // else absent
              document.put(field, value(random));
            }
          }
          Object expected;
          try {
            expected = reference.getKeyValues(document);
          } catch (RuntimeException e) {
            expected = e.getClass();
          }
          Object actual;
          try {
            actual = index.getKeyValues(document);
          } catch (RuntimeException e) {
            actual = e.getClass();
          }
          assertEquals(expected, actual, "keys of " + document + " under " + fields);
          if (OrderedIndex.keysOf(fields, document) != null) {
            ours++;
          }
        }
      }
      assertTrue(ours > 5_000, "most documents take the index's own way: " + ours);
    } finally {
      store.close();
    }
  }

  @Test
  void keysOfTellWhatTheyLeaveToTheLibrary() {
    assertNull(OrderedIndex.keysOf(List.of("a", "b"), new Document("a", List.of("x")).append("b", List.of("y"))),
      "two arrays: the library refuses them");
    assertNull(OrderedIndex.keysOf(List.of("a"), new Document("a", new Document("x", 1))));
    assertNull(OrderedIndex.keysOf(List.of("a"), new Document("a", List.of(new Document("x", 1)))));
    Set<KeyValue> keys = OrderedIndex.keysOf(List.of("a", "b"), new Document("a", List.of("x", "y", "x")).append("b", 3));
    assertNotNull(keys);
    assertEquals(List.of(new KeyValue("x", 3.0), new KeyValue("y", 3.0)), new ArrayList<>(keys));
    assertEquals(Set.of(new KeyValue((Object) null)), OrderedIndex.keysOf(List.of("a"), new Document()));
  }

  /** mongo-java-server's own unique index, {@code sparse} or not, holding its keys in a hash map. */
  private static AbstractUniqueIndex<Object> library(String name, List<IndexKey> keys, boolean sparse) {
    Map<KeyValue, Object> held = new HashMap<>();
    return new AbstractUniqueIndex<>(name, keys, sparse) {
      @Override
      protected Object removeDocument(KeyValue keyValue) {
        return held.remove(keyValue);
      }

      @Override
      protected boolean putKeyPosition(KeyValue keyValue, Object position) {
        return held.putIfAbsent(keyValue, position) == null;
      }

      @Override
      protected Iterable<Map.Entry<KeyValue, Object>> getIterable() {
        return held.entrySet();
      }

      @Override
      protected Object getPosition(KeyValue keyValue) {
        return held.get(keyValue);
      }

      @Override
      public long getCount() {
        return held.size();
      }

      @Override
      public long getDataSize() {
        return held.size();
      }
    };
  }

  /** A collection that tells its name, which is all an index asks of it (to name it in a refusal). */
  @SuppressWarnings("unchecked")
  private static MongoCollection<Object> named(String fullName) {
    return (MongoCollection<Object>) Proxy.newProxyInstance(OrderedIndexTest.class.getClassLoader(),
      new Class<?>[] {MongoCollection.class}, (proxy, method, args) -> {
        if (method.getName().equals("getFullName")) {
          return fullName;
        }
        throw new UnsupportedOperationException(method.getName());
      });
  }

  /** What an insert into an index answers: null when taken, else the refusal's class and message. */
  private static String insert(Index<Object> index, Document document, Object position, MongoCollection<Object> collection) {
    try {
      index.checkAdd(document, collection);
      index.add(document, position, collection);
      return null;
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  /**
   * Sparse or not, the index takes and refuses what mongo-java-server's own takes and refuses, and holds as many
   * keys, through random inserts and removals of documents that lack the fields, hold null or an empty array, hold
   * an array of strings (a key each) or values it leaves to the library.
   */
  @Test
  void takesAndRefusesWhatTheLibrarysIndexDoes() {
    Random random = new Random(23);
    MongoCollection<Object> collection = named("db.c");
    MVStore store = new MVStore.Builder().open(); // in memory
    try {
      int leftOut = 0;
      for (boolean sparse : List.of(true, false)) {
        for (List<String> fields : List.of(List.of("a"), List.of("a", "b"))) {
          List<IndexKey> keys = fields.stream().map(f -> new IndexKey(f, true)).toList();
          MVMap<Object, Object> map = store.openMap("s" + sparse + fields,
            new MVMap.Builder<Object, Object>().keyType(new KeyOrder()));
          OrderedIndex index = new OrderedIndex(map, "i", keys, sparse);
          AbstractUniqueIndex<Object> reference = library("i", keys, sparse);
          List<Document> added = new ArrayList<>();
          int refused = 0;
          for (int i = 0; i < 2_000; i++) {
            if (!added.isEmpty() && random.nextInt(4) == 0) {
              Document gone = added.remove(random.nextInt(added.size()));
              assertEquals(reference.remove(gone), index.remove(gone), "removing " + gone);
              continue;
            }
            Document document = new Document();
            for (String field : List.of("a", "b", "c")) {
              if (random.nextInt(3) != 0) { // else absent: a sparse index leaves it out
                document.put(field, random.nextInt(4) == 0 ? value(random) : "k" + random.nextInt(1_000));
              }
            }
            if (fields.stream().noneMatch(document::containsKey)) {
              leftOut++;
            }
            String expected = insert(reference, document, i, collection);
            assertEquals(expected, insert(index, document, i, collection), "inserting " + document + " under " + fields
              + (sparse ? ", sparse" : ""));
            if (expected == null) {
              added.add(document);
            } else {
              refused++;
            }
            assertEquals(reference.getCount(), index.getCount(), "keys held after " + document);
          }
          assertTrue(added.size() > 100 && refused > 100, "taken: " + added.size() + ", refused: " + refused);
        }
      }
      assertTrue(leftOut > 200, "documents without the fields: " + leftOut);
    } finally {
      store.close();
    }
  }
}
