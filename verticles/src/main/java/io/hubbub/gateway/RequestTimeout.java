package io.hubbub.gateway;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * A request whose body has not fully arrived within the time allowed is answered 408 and its connection
 * closed: a client that sends a byte now and then cannot hold a connection and a body buffer for minutes
 * (the server's idle timeout only sees silence).
 */
final class RequestTimeout implements Handler<RoutingContext> {

  private final long timeoutMs;

  RequestTimeout(int seconds) {
    this.timeoutMs = seconds * 1_000L;
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (!request.isEnded()) {
      long timer = ctx.vertx().setTimer(timeoutMs, t -> {
        if (!request.isEnded() && !ctx.response().ended()) {
          ctx.response().setStatusCode(408).putHeader("Connection", "close").end();
          request.connection().close();
        }
      });
      ctx.addEndHandler(done -> ctx.vertx().cancelTimer(timer));
    }
    ctx.next();
  }
}
