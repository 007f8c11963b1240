package io.hubbub.embedded;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.DuplicateKeyError;
import org.h2.mvstore.MVMap;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A unique index in an H2 map ordered by {@link KeyOrder}: mongo-java-server's H2 index, whose constructor is not
 * public. An insert works out a document's keys once: mongo-java-server's index works them out three times and
 * looks each one up twice (its {@code add} checks again what {@code checkAdd} has just checked, under the same
 * collection lock), and the keys of a document of plain values are made here without its path and stream
 * machinery ({@link #keysOf}). A sparse index takes the same way for every document it holds, and leaves out one
 * without any of its fields. What it stores and refuses is what mongo-java-server's index stores and refuses.
 */
final class OrderedIndex extends AbstractUniqueIndex<Object> {

  /** Keyed as {@link KeyOrder#flat} holds keys. */
  private final MVMap<Object, Object> map;
  /** The fields of the keys when every one is a top-level field; null when any is a path (those take the library's way). */
  private final List<String> fields;
  /** The document {@link #checkAdd} passed last and its keys, for the {@link #add} that follows it. */
  private Document checked;
  private Set<KeyValue> checkedKeys;

  OrderedIndex(MVMap<Object, Object> map, String name, List<IndexKey> keys, boolean sparse) {
    super(name, keys, sparse);
    this.map = map;
    List<String> top = new ArrayList<>();
    for (IndexKey key : keys) {
      String field = key.getKey();
      if (field.isEmpty() || field.contains(".") || field.startsWith("$")) {
        top = null;
        break;
      }
      top.add(field);
    }
    this.fields = top == null ? null : List.copyOf(top);
  }

  @Override
  public Set<KeyValue> getKeyValues(Document document) {
    Set<KeyValue> keys = fields == null ? null : keysOf(fields, document);
    return keys != null ? keys : super.getKeyValues(document);
  }

  /**
   * The normalized keys of a document under top-level fields, as mongo-java-server makes them, when its values
   * are plain: strings, booleans, ints, longs, doubles, absent or null, and at most one array, of strings. Null
   * for anything else, which is left to mongo-java-server.
   */
  static Set<KeyValue> keysOf(List<String> fields, Map<String, Object> document) {
    List<Object> values = new ArrayList<>(fields.size());
    int array = -1;
    for (String field : fields) {
      Object value = document.get(field);
      if (value instanceof Collection<?> elements) {
        if (array >= 0) {
          return null; // parallel arrays: the library says so
        }
        for (Object element : elements) {
          if (!(element instanceof String)) {
            return null;
          }
        }
        array = values.size();
        values.add(elements);
      } else {
        if (value != null && !(value instanceof Missing) && !(value instanceof String) && !(value instanceof Boolean)
            && !(value instanceof Integer) && !(value instanceof Long) && !(value instanceof Double)) {
          return null;
        }
        values.add(normalized(value));
      }
    }
    if (array < 0) {
      return Set.of(new KeyValue(values));
    }
    Collection<?> elements = (Collection<?>) values.get(array);
    Set<KeyValue> keys = new LinkedHashSet<>(elements.size() * 2);
    for (Object element : elements) {
      List<Object> one = new ArrayList<>(values);
      one.set(array, element);
      keys.add(new KeyValue(one));
    }
    return keys;
  }

  /** A plain value as mongo-java-server normalizes it for an index: numbers as doubles where that loses nothing, absent as null. */
  private static Object normalized(Object value) {
    if (value == null || value instanceof Missing) {
      return null;
    }
    if (value instanceof Long number && number != (long) number.doubleValue()) {
      return number;
    }
    if (value instanceof Number number) {
      double d = number.doubleValue();
      return d == 0 ? 0.0 : d; // -0.0 too
    }
    return value;
  }

  @Override
  public synchronized void checkAdd(Document document, MongoCollection<Object> collection) {
    if (isSparse() && fields == null) {
      super.checkAdd(document, collection);
      return;
    }
    if (isSparse() && leftOut(document)) {
      return; // nothing to check (the library's own test of that took as long as an index look-up)
    }
    Set<KeyValue> keys = getKeyValues(document);
    for (KeyValue key : keys) {
      if (map.containsKey(KeyOrder.flat(key))) {
        super.checkAdd(document, collection); // throws the library's own error, naming the key as given
        throw new DuplicateKeyError(this, collection, getKeys(), key);
      }
    }
    checked = document;
    checkedKeys = keys;
  }

  /**
   * Whether a sparse index leaves this document out, as mongo-java-server's does: it has none of the (top-level) fields.
   * A field that holds null, or an empty array, is there.
   */
  private boolean leftOut(Document document) {
    for (String field : fields) {
      if (document.containsKey(field)) {
        return false;
      }
    }
    return true;
  }

  /** Adds the keys {@link #checkAdd} has just checked (the collection is locked between the two), else checks first. */
  @Override
  @SuppressWarnings("ReferenceEquality") // the very document just checked, not one equal to it
  public synchronized void add(Document document, Object position, MongoCollection<Object> collection) {
    if (isSparse() && fields == null) {
      super.add(document, position, collection);
      return;
    }
    if (isSparse() && leftOut(document)) {
      return;
    }
    if (document != checked) {
      checkAdd(document, collection);
    }
    Set<KeyValue> keys = checkedKeys;
    checked = null;
    checkedKeys = null;
    for (KeyValue key : keys) {
      if (!putKeyPosition(key, position)) {
        throw new IllegalStateException("key " + key + " of index " + getName() + " added twice");
      }
    }
  }

  @Override
  public synchronized Object remove(Document document) {
    if (isSparse() && fields != null && leftOut(document)) {
      return null; // never held
    }
    return super.remove(document);
  }

  @Override
  protected Object removeDocument(KeyValue key) {
    return map.remove(KeyOrder.flat(key));
  }

  @Override
  protected boolean putKeyPosition(KeyValue key, Object position) {
    return map.putIfAbsent(KeyOrder.flat(key), Missing.ofNullable(position)) == null;
  }

  @Override
  protected Iterable<Map.Entry<KeyValue, Object>> getIterable() {
    return () -> new Iterator<>() {
      private final Iterator<Map.Entry<Object, Object>> held = map.entrySet().iterator();

      @Override
      public boolean hasNext() {
        return held.hasNext();
      }

      @Override
      public Map.Entry<KeyValue, Object> next() {
        Map.Entry<Object, Object> entry = held.next();
        return new AbstractMap.SimpleImmutableEntry<>(KeyOrder.key(entry.getKey()), entry.getValue());
      }
    };
  }

  @Override
  protected Object getPosition(KeyValue key) {
    return map.get(KeyOrder.flat(key));
  }

  @Override
  public long getCount() {
    return map.sizeAsLong();
  }

  @Override
  public boolean isEmpty() {
    return map.isEmpty();
  }

  @Override
  public long getDataSize() {
    return getCount();
  }
}
