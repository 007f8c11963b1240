package io.hubbub.embedded;

import de.bwaldvogel.mongo.MongoServer;
import io.hubbub.StartupException;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The in-process MongoDB-wire-compatible store used when no real MongoDB is configured:
 * mongo-java-server on its H2 backend, in one file under the data folder, listening on a free
 * loopback port (or the conf's {@code mongo.embeddedHost}/{@code embeddedPort}, for the other nodes of
 * a local cluster). Everything talks to it over the wire, exactly as to MongoDB, and signs in first
 * ({@link StoreCredentials}, SCRAM-SHA-256): another local process cannot read or write it without the
 * credentials file, which only the store's owner can read.
 * Starting and stopping block (file I/O): call them off the event loop.
 */
public final class EmbeddedStore implements AutoCloseable {

  public static final String FILE_NAME = "hubbub.mv.db";
  /** The folder of the store's write-ahead journal, beside its file: the two belong together. */
  public static final String JOURNAL_DIR = Journal.DIR;
  /** Where a running store listens ({@code host:port}), for the data tools to reach it: written at start, removed at close. */
  public static final String ADDRESS_FILE = "store.address";
  public static final String DEFAULT_HOST = "127.0.0.1";
  private static final Logger log = LoggerFactory.getLogger(EmbeddedStore.class);

  private final MongoServer server;
  private final String uri;
  private final Path addressFile;

  private EmbeddedStore(MongoServer server, String uri, Path addressFile) {
    this.server = server;
    this.uri = uri;
    this.addressFile = addressFile;
  }

  /** Opens (or creates) the store under {@code dataDir} and listens on a free loopback port. */
  public static EmbeddedStore start(Path dataDir) throws IOException {
    return start(dataDir, DEFAULT_HOST, 0);
  }

  /** Opens (or creates) the store under {@code dataDir} and listens on {@code host:port} (0: a free port). */
  public static EmbeddedStore start(Path dataDir, String host, int port) throws IOException {
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(FILE_NAME).toAbsolutePath();
    StoreCredentials credentials = StoreCredentials.loadOrCreate(dataDir);
    DurableH2Backend backend = openBackend(dataDir, new ScramServer(credentials));
    MongoServer server = new MongoServer(backend);
    try {
      server.bind(host, port);
    } catch (RuntimeException e) {
      server.shutdownNow(); // closes the backend: a last checkpoint
      throw new StartupException("mongo.embeddedPort " + port + " on " + host + " cannot be listened on ("
        + e.getMessage() + "): another process has it?", e);
    }
    InetSocketAddress address = server.getLocalAddress();
    String hostPort = address.getHostString() + ":" + address.getPort();
    Path addressFile = dataDir.resolve(ADDRESS_FILE);
    Files.writeString(addressFile, hostPort + "\n");
    log.info("embedded store started [file: {}, address: {}, credentials: {}]", file, address,
      dataDir.resolve(StoreCredentials.FILE_NAME).toAbsolutePath());
    return new EmbeddedStore(server, credentials.into("mongodb://" + hostPort), addressFile);
  }

  /**
   * Opens the store file of a data folder and replays its journal into it (see {@link DurableH2Backend}). Blocking.
   * A journal that cannot be replayed (damaged, or another store's) stops the start with what to do.
   */
  private static DurableH2Backend openBackend(Path dataDir, ScramServer auth) throws IOException {
    Path file = dataDir.resolve(FILE_NAME).toAbsolutePath();
    MVStore mvStore;
    try {
      mvStore = DurableH2Backend.storeBuilder(file).open();
    } catch (MVStoreException e) {
      if (e.getErrorCode() == DataUtils.ERROR_FILE_LOCKED) {
        throw inUse(dataDir, e);
      }
      throw e;
    }
    try {
      return DurableH2Backend.open(mvStore, auth, dataDir.resolve(JOURNAL_DIR));
    } catch (IOException e) {
      throw new StartupException("the embedded store in " + dataDir.toAbsolutePath() + " cannot be opened: " + e.getMessage(), e);
    }
  }

  /**
   * Replays the journal of a data folder no process has open into its store file, and closes it: the file then holds
   * every write, and the journal folder nothing. Blocking. For the data tools, before they move a store file.
   */
  public static void settle(Path dataDir) throws IOException {
    if (Files.exists(dataDir.resolve(FILE_NAME))) {
      openBackend(dataDir, null).close();
    }
  }

  /** A data folder whose store another process (or this one) has open: H2 locks the file while it is open. */
  public static StartupException inUse(Path dataDir, Throwable cause) {
    return new StartupException("data folder " + dataDir.toAbsolutePath() + " (HUBBUB_DATA_DIR) is in use by another "
      + "Hubbub process: stop that one, or give this one a folder of its own", cause);
  }

  /**
   * The connection string of the store another process runs on this data folder (its address file and its
   * credentials), for the data tools while Hubbub serves.
   */
  public static String runningUri(Path dataDir) throws IOException {
    String hostPort = Files.readString(dataDir.resolve(ADDRESS_FILE)).trim();
    return StoreCredentials.read(dataDir.resolve(StoreCredentials.FILE_NAME)).into("mongodb://" + hostPort);
  }

  /** The connection string of the running store, with its credentials: never log it whole. */
  public String uri() {
    return uri;
  }

  @Override
  public void close() {
    try {
      Files.deleteIfExists(addressFile);
    } catch (IOException e) {
      log.warn("address file not removed [file: {}, error: {}]", addressFile, e.toString());
    }
    server.shutdown();
    log.info("embedded store closed");
  }
}
