package io.hubbub.gateway;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /api/openapi.json}: the OpenAPI 3.1 description of the HTTP API, from the jar ({@value #RESOURCE}),
 * read once (asynchronously) on the first request. {@code OpenApiTest} holds it to the routes the gateway serves
 * and to the answers they give.
 */
final class OpenApiDoc implements Handler<RoutingContext> {

  static final String RESOURCE = "openapi/hubbub.openapi.json";
  static final String PATH = "/api/openapi.json";

  private Future<Buffer> document;

  @Override
  public void handle(RoutingContext ctx) {
    if (document == null || document.failed()) {
      document = ctx.vertx().fileSystem().readFile(RESOURCE);
    }
    document
      .onSuccess(json -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(json))
      .onFailure(ctx::fail);
  }
}
