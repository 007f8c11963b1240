package io.hubbub.audit;

import io.hubbub.bus.AuditBus;
import io.hubbub.bus.Caller;
import io.hubbub.bus.Consumers;
import io.hubbub.bus.EventRules;
import io.hubbub.bus.StorageBus;
import io.hubbub.bus.StorageClient;
import io.hubbub.conf.HubbubConf;
import io.hubbub.limit.RateLimit;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail: the only writer of the {@code audit.*} streams. Changes to users, rooms and
 * devices arrive on {@link AuditBus#RECORD} from the verticles that make them; refused requests and
 * frames arrive on {@link AuditBus#ACCESS} from the gateways and are sampled: at most
 * {@code audit.access.perRemote} per remote address and {@code audit.access.total} in all per
 * {@code audit.access.perSeconds}, with one {@code REFUSED_DROPPED} count per window for the rest, so a
 * flood of bad requests cannot fill the store.
 */
public final class AuditVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(AuditVerticle.class);
  private static final int MAX_FIELD = 256;

  private Consumers consumers;
  private RateLimit perRemote;
  private RateLimit total;
  private final HubbubConf conf;
  private final long windowMs;
  private final long timeoutMs;
  private long dropped;
  private long timer;
  private StorageClient storage;

  public AuditVerticle(HubbubConf conf) {
    this.conf = conf;
    this.windowMs = conf.audit().perSeconds() * 1_000L;
    this.timeoutMs = conf.mongo().busTimeoutMs();
  }

  @Override
  public Future<?> start() {
    perRemote = new RateLimit(conf.audit().perRemote(), windowMs);
    total = new RateLimit(conf.audit().total(), windowMs);
    storage = new StorageClient(vertx, conf.storage().partitions(), timeoutMs);
    consumers = new Consumers(vertx.eventBus());
    consumers.serve(AuditBus.RECORD, this::record);
    consumers.add(vertx.eventBus().<JsonObject>consumer(AuditBus.ACCESS, this::access));
    timer = vertx.setPeriodic(windowMs, t -> reportDropped());
    return consumers.ready();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return consumers.unregister();
  }

  private Future<Void> record(AuditBus.Change change) {
    return append("audit." + change.collection(), change.type(), change.data(), change.by());
  }

  private void access(Message<JsonObject> message) {
    AuditBus.Refusal refusal = AuditBus.Refusal.fromJson(message.body());
    String remote = clip(refusal.remote());
    long now = System.currentTimeMillis();
    if (!perRemote.tryAcquire(remote, now) || !total.tryAcquire("", now)) {
      dropped++;
      return;
    }
    JsonObject data = new AuditBus.Refusal(clip(refusal.principal()), remote, clip(refusal.target()), clip(refusal.reason()),
      refusal.code()).toJson();
    append(AuditBus.ACCESS_STREAM, "REFUSED", data, Caller.SERVER)
      .onFailure(failure -> log.warn("access refusal not recorded [error: {}]", failure.getMessage()));
  }

  private void reportDropped() {
    long now = System.currentTimeMillis();
    perRemote.sweep(now);
    total.sweep(now);
    if (dropped > 0) {
      JsonObject data = new JsonObject().put("count", dropped).put("seconds", windowMs / 1_000);
      dropped = 0;
      append(AuditBus.ACCESS_STREAM, "REFUSED_DROPPED", data, Caller.SERVER)
        .onFailure(failure -> log.warn("dropped-refusals count not recorded [error: {}]", failure.getMessage()));
    }
  }

  private Future<Void> append(String stream, String type, JsonObject data, String by) {
    JsonObject event = new JsonObject().put("stream", stream).put("type", type).put("data", data).put("by", by);
    return storage.request(StorageBus.APPEND, StorageBus.Append.of(event)).mapEmpty();
  }

  /** A value from a refused request, as text short enough to store whatever the client sent. */
  private static String clip(String value) {
    return EventRules.clip(value, MAX_FIELD);
  }
}
