package io.hubbub.gateway;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who may use the gateway from a page of another origin ({@code http.cors.origins}), on {@code /api}, {@code /js},
 * {@code /vendor} and {@code /eventbus}. A request without {@code Origin}, or from the gateway's own origin (its
 * host and port are those the request was sent to), goes on untouched. A listed origin (or any, with {@code *})
 * gets CORS answers from vert.x-web's {@link CorsHandler}: preflights, {@code Access-Control-Allow-Origin}, the
 * headers Hubbub's API reads and the ones it answers with. Any other origin is refused (403), the bridge's
 * WebSocket included: browsers do not apply CORS to WebSockets, so the server checks their {@code Origin} itself.
 * (Without this, SockJS answered every origin's XHR transports with permissive CORS headers of its own.)
 */
final class CrossOrigin implements Handler<RoutingContext> {

  static final List<String> PATHS = List.of("/api/*", "/js/*", "/vendor/*", GatewayVerticle.BRIDGE_PATH + "/*");
  private static final int PREFLIGHT_MAX_AGE_S = 600;

  private final CorsHandler cors;
  /** The listed origins as {@link #normalized}; null for any. */
  private final Set<String> allowed;

  private CrossOrigin(CorsHandler cors, Set<String> allowed) {
    this.cors = cors;
    this.allowed = allowed;
  }

  /** The handler for {@code origins} (none: same origin only; {@code *} alone: any). */
  static CrossOrigin of(List<String> origins) {
    if (origins.isEmpty()) {
      return new CrossOrigin(null, Set.of());
    }
    CorsHandler cors = CorsHandler.create()
      .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.OPTIONS))
      .allowedHeaders(Set.of("Authorization", "Content-Type", "Accept", "Last-Event-ID", "Idempotency-Key"))
      .exposedHeaders(Set.of("Retry-After"))
      // Hubbub sets no cookies: allowing credentials grants nothing, and SockJS's XHR transports ask for them
      .allowCredentials(true)
      .maxAgeSeconds(PREFLIGHT_MAX_AGE_S);
    if (origins.contains("*")) {
      return new CrossOrigin(cors, null);
    }
    cors.addOrigins(origins);
    return new CrossOrigin(cors, origins.stream().map(CrossOrigin::normalized).collect(Collectors.toSet()));
  }

  @Override
  public void handle(RoutingContext ctx) {
    String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
    String normalized = origin == null ? null : normalized(origin);
    if (origin == null || sameOrigin(normalized, ctx.request().getHeader(HttpHeaders.HOST))) {
      ctx.next();
    } else if (cors != null && (allowed == null || allowed.contains(normalized))) {
      cors.handle(ctx); // answers a preflight, or goes on with the CORS headers
    } else {
      HttpApi.error(ctx, 403, "pages of " + origin + " may not use this server: list the origin in http.cors.origins");
    }
  }

  /**
   * Whether an origin ({@link #normalized}) names the host and port the request was sent to. The scheme is left out:
   * behind a proxy that ends TLS, the page's https origin reaches the gateway over http, with the Host the browser used.
   */
  static boolean sameOrigin(String normalized, String host) {
    if (host == null || normalized.isEmpty()) {
      return false;
    }
    String given = host.trim().toLowerCase(Locale.ROOT);
    if (!given.contains(":") || given.endsWith("]")) { // no port: the one of the origin's scheme
      given += normalized.startsWith("https:") ? ":443" : ":80";
    }
    return normalized.endsWith("://" + given);
  }

  /** An origin as {@code scheme://host:port}, lower case, with the scheme's port when it names none; "" if it is none. */
  static String normalized(String origin) {
    try {
      URI uri = URI.create(origin.trim());
      if (uri.getScheme() == null || uri.getHost() == null) {
        return "";
      }
      String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
      int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(scheme) ? 443 : 80;
      return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    } catch (IllegalArgumentException e) {
      return "";
    }
  }
}
