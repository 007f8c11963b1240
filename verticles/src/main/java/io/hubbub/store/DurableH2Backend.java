package io.hubbub.store;

import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;
import org.h2.mvstore.MVStore;

import java.util.Set;

/**
 * mongo-java-server's H2 backend, made to honour journaled writes: the H2 store commits its file
 * lazily, so a write that asks for {@code j: true} is committed and synced to disk before it is
 * answered. Storage asks for journaled writes, so an acknowledged event survives a SIGKILL.
 */
final class DurableH2Backend extends H2Backend {

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

  private static boolean journaled(Document query) {
    return query.get("writeConcern") instanceof Document concern && Boolean.TRUE.equals(concern.get("j"));
  }

  private synchronized void syncToDisk() {
    MVStore store = getMvStore();
    store.commit();
    store.sync();
  }
}
