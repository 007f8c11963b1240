import de.bwaldvogel.mongo.backend.KeyValue;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.DataType;
import org.h2.mvstore.type.StringDataType;

import java.lang.reflect.Constructor;
import java.util.Random;

/**
 * What holding a one-string index key as the string saves the embedded store ({@code KeyOrder#flat}): a
 * unique-index check (an absent key's {@code containsKey}, as every insert makes) on an H2 map of N one-string keys
 * held as mongo-java-server's {@code KeyValue} under the store's own key type ({@code io.hubbub.embedded.KeyOrder}),
 * beside the same keys held as plain strings, and a {@code TreeMap} for scale. The pages stay in memory, as the
 * live store's do between checkpoints. Keys are shaped like a bucket's {@code sids} (64 streams), probes random, so
 * each walk misses the CPU's caches as an insert's does.
 *
 * <p>A single-file program: {@code java -cp verticles/target/hubbub.jar bench/micro/IndexKeyBench.java 1000000}
 * after {@code mvn -q install -DskipTests}.
 */
public class IndexKeyBench {

  private static final int PROBES = 200_000;

  @SuppressWarnings("unchecked")
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    Constructor<?> made = Class.forName("io.hubbub.embedded.KeyOrder").getDeclaredConstructor();
    made.setAccessible(true);
    DataType<KeyValue> keyOrder = (DataType<KeyValue>) made.newInstance();
    try (MVStore store = new MVStore.Builder().open()) {
      MVMap<KeyValue, Object> values = store.openMap("kv", new MVMap.Builder<KeyValue, Object>().keyType(keyOrder));
      MVMap<String, Object> strings = store.openMap("st", new MVMap.Builder<String, Object>().keyType(StringDataType.INSTANCE));
      java.util.TreeMap<String, Object> tree = new java.util.TreeMap<>();
      for (int i = 0; i < n; i++) {
        String key = key(i);
        values.put(new KeyValue(key), Boolean.TRUE);
        strings.put(key, Boolean.TRUE);
        tree.put(key, Boolean.TRUE);
      }
      Random random = new Random(1);
      String[] probes = new String[PROBES];
      KeyValue[] keyValues = new KeyValue[PROBES];
      System.out.printf("%d keys; ns an absent key's lookup, random keys:%n", n);
      for (int round = 0; round < 8; round++) {
        for (int i = 0; i < PROBES; i++) {
          probes[i] = key(random.nextInt(n)) + "x";
          keyValues[i] = new KeyValue(probes[i]);
        }
        int hits = 0;
        long t0 = System.nanoTime();
        for (KeyValue key : keyValues) {
          hits += values.containsKey(key) ? 1 : 0;
        }
        long t1 = System.nanoTime();
        for (String key : probes) {
          hits += strings.containsKey(key) ? 1 : 0;
        }
        long t2 = System.nanoTime();
        for (String key : probes) {
          hits += tree.containsKey(key) ? 1 : 0;
        }
        long t3 = System.nanoTime();
        System.out.printf("round %d: KeyValue (KeyOrder) %5.0f   String %5.0f   TreeMap %5.0f%s%n", round,
            (t1 - t0) / (double) PROBES, (t2 - t1) / (double) PROBES, (t3 - t2) / (double) PROBES,
            hits == 0 ? "" : "  (found " + hits + ": the probes were not absent)");
      }
    }
  }

  private static String key(int i) {
    return "evt-" + Long.toHexString(0x9E3779B97F4A7C15L * (i + 1)) + "|bench-stream-" + (i % 64);
  }
}
