package io.hubbub.embedded;

import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

import java.nio.ByteBuffer;

/**
 * The key type of the maps holding the embedded store's documents: their {@code _id}s, ordered as H2's own
 * {@link ObjectDataType} orders them (which keyed these maps before), and written as it writes them, except an
 * ASCII string (nearly every id: stream keys, device and user names), which is written as its bytes in one copy.
 * H2 writes a string a char at a time, and a checkpoint rewrites every key of every page a write touched: under the
 * fleet benchmark the documents' ids were a twentieth of the server's CPU samples. Used only for maps made with it
 * ({@link DurableH2Backend} marks them): the byte format differs.
 */
final class DocumentIds extends BasicDataType<Object> {

  private static final byte OBJECT = 0;
  private static final byte ASCII = 1;

  private final ObjectDataType objects = new ObjectDataType();

  @Override
  public int compare(Object a, Object b) {
    return objects.compare(a, b);
  }

  @Override
  public int getMemory(Object id) {
    return objects.getMemory(id);
  }

  @Override
  public void write(WriteBuffer buff, Object id) {
    byte[] ascii = id instanceof String s ? KeyOrder.ascii(s) : null;
    if (ascii != null) {
      buff.put(ASCII).putVarInt(ascii.length).put(ascii);
    } else {
      buff.put(OBJECT);
      objects.write(buff, id);
    }
  }

  @Override
  public Object read(ByteBuffer buff) {
    byte tag = buff.get();
    return switch (tag) {
      case ASCII -> KeyOrder.readAscii(buff);
      case OBJECT -> objects.read(buff);
      default -> throw new IllegalStateException("unknown document id tag " + tag);
    };
  }

  @Override
  public Object[] createStorage(int size) {
    return new Object[size];
  }
}
