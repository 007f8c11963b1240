package io.hubbub.bus;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;

/**
 * The protocol's status codes as event-bus failures, and the mapping of any bus failure back to one.
 * Receivers fail with {@link #of}; senders turn what they get into a code with {@link #code}.
 */
public final class Failures {

  public static final int BAD_REQUEST = 400;
  public static final int UNAUTHORIZED = 401;
  public static final int FORBIDDEN = 403;
  public static final int NOT_FOUND = 404;
  public static final int CONFLICT = 409;
  public static final int TOO_LARGE = 413;
  public static final int RATE_LIMITED = 429;
  public static final int INTERNAL = 500;
  public static final int UNAVAILABLE = 503;

  private static final Set<Integer> PROTOCOL_CODES =
    Set.of(BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, TOO_LARGE, RATE_LIMITED, UNAVAILABLE);
  private static final Logger log = LoggerFactory.getLogger(Failures.class);

  private Failures() {
  }

  /** A failure with one of the protocol's codes, to fail a future or a message with. */
  public static ReplyException of(int code, String message) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, message);
  }

  public static ReplyException badRequest(String message) {
    return of(BAD_REQUEST, message);
  }

  public static ReplyException unavailable(String message) {
    return of(UNAVAILABLE, message);
  }

  /** The protocol code for any failure: timeouts and missing handlers are 503, the unknown is 500. */
  public static int code(Throwable failure) {
    if (failure instanceof ReplyException e) {
      return switch (e.failureType()) {
        case TIMEOUT, NO_HANDLERS -> UNAVAILABLE;
        case RECIPIENT_FAILURE -> PROTOCOL_CODES.contains(e.failureCode()) ? e.failureCode() : INTERNAL;
        // the message could not be written to the node of its recipient (a node that just died): try again
        case ERROR -> PROTOCOL_CODES.contains(e.failureCode()) ? e.failureCode() : UNAVAILABLE;
      };
    }
    if (failure instanceof java.util.concurrent.TimeoutException) {
      return UNAVAILABLE;
    }
    return INTERNAL;
  }

  /** The text a client may see: the receiver's message for protocol codes, never a stack trace. */
  public static String message(Throwable failure) {
    int code = code(failure);
    if (code == INTERNAL) {
      return "internal error";
    }
    if (failure instanceof ReplyException e && e.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      return e.getMessage();
    }
    return "service unavailable, retry later";
  }

  /** Fails a bus message with the failure's protocol code; unexpected failures are logged here. */
  public static void reply(Message<?> message, Throwable failure) {
    int code = code(failure);
    if (code == INTERNAL) {
      log.error("request failed [address: {}]", message.address(), failure);
    }
    message.fail(code, message(failure));
  }
}
