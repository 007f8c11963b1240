package io.hubbub.embedded;

import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.Document;
import org.bson.BsonBinaryReader;
import org.bson.BsonType;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A projection that includes top-level fields ({@code {_id: 0, first: 1, events: 1}}: how storage reads a bucket's
 * events), applied to a document's stored BSON by copying the bytes of the fields it keeps: the library would decode
 * the document, copy the fields into a new one and encode that. The fields come in the library's order (the id first
 * unless the projection names it, then the projection's fields in its order), so a reply is byte for byte the
 * library's. The stored document's fields are walked with the MongoDB driver's BSON reader.
 */
final class StoredFields {

  private final List<String> order;

  private StoredFields(List<String> order) {
    this.order = order;
  }

  /**
   * The projection, if it includes top-level fields (each {@code 1} or {@code true}; beside them the id may be
   * excluded with {@code 0} or {@code false}); null for any other (an exclusion, {@code {_id: 0}} alone, a dotted
   * path, an operator), which is the library's to apply.
   */
  static StoredFields of(Document projection, String idField) {
    List<String> order = new ArrayList<>();
    boolean includes = false;
    if (!projection.containsKey(idField)) {
      order.add(idField);
    }
    for (Map.Entry<String, Object> field : projection.entrySet()) {
      String name = field.getKey();
      Object value = field.getValue();
      if (name.isEmpty() || name.startsWith("$") || name.contains(".") || !(value instanceof Number || value instanceof Boolean)) {
        return null;
      }
      if (Utils.isTrue(value)) {
        order.add(name);
        includes = true;
      } else if (!name.equals(idField)) {
        return null; // an exclusion
      }
    }
    return includes ? new StoredFields(order) : null; // {_id: 0} alone excludes
  }

  /** The fields of {@code bson} (one whole document) that this projection keeps, as one document. */
  byte[] apply(byte[] bson) {
    Map<String, int[]> spans = new HashMap<>();
    try (BsonBinaryReader reader = new BsonBinaryReader(ByteBuffer.wrap(bson))) {
      reader.readStartDocument();
      int start = reader.getBsonInput().getPosition();
      while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
        String name = reader.readName();
        reader.skipValue();
        int end = reader.getBsonInput().getPosition();
        if (order.contains(name)) {
          spans.put(name, new int[] {start, end});
        }
        start = end;
      }
    }
    int size = 4 + 1;
    for (int[] span : spans.values()) {
      size += span[1] - span[0];
    }
    byte[] projected = new byte[size];
    ByteBuffer out = ByteBuffer.wrap(projected).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(size);
    for (String name : order) {
      int[] span = spans.get(name);
      if (span != null) {
        out.put(bson, span[0], span[1] - span[0]);
      }
    }
    out.put((byte) 0);
    return projected;
  }
}
