/**
 * hubbub.js: Hubbub's browser client, over the official Vert.x bridge client
 * (@vertx/eventbus-bridge-client.js with sockjs-client, both served by the gateway under /vendor/).
 *
 *   import { Hubbub } from '/js/hubbub.js';
 *   const hub = new Hubbub({ token, onState: s => console.log(s) });
 *   await hub.connect();
 *   const sub = hub.subscribe('chat.lobby', { afterSeq: 0 }, event => render(event));
 *   const ack = await hub.publish('app.notes', 'NOTE_ADDED', { text: 'hi' });
 *
 * Guarantees (docs/protocol.md, "hubbub.js"):
 * - subscribe() hands every event of the stream after `afterSeq` to its callback exactly once, in seq
 *   order, across reconnects and server restarts: it registers for the live address, reads the
 *   catch-up range, merges both by seq and drops repeats; a seq gap in the live feed triggers a read.
 *   History the server no longer holds (retention, truncation) is reported to onTruncated(firstSeq).
 * - publish() gives each event an idempotency id and retries it after a reconnect with the same id,
 *   so an event is stored once whatever the network did. request() retries the same way; Hubbub's
 *   requests are idempotent (chat.send and streams.publish get an id when they have none).
 */

const DEFAULTS = {
  url: '/eventbus',
  vendor: '/vendor/',
  requestTimeoutMs: 10000,
  maxAttempts: 5,
  reconnectDelayMinMs: 500,
  reconnectDelayMaxMs: 5000,
  pageSize: 500,
  settleMs: 1000,
};

const IDEMPOTENT_BY_ID = new Set(['streams.publish', 'chat.send']);
const RETRYABLE = new Set([503, -1]);
/** Registration failures that say nothing about the right to register: made again, with backoff. */
const REGISTER_AGAIN = new Set([503, 408, -1]);

/** A failed request: `code` is the protocol's status code (400, 401, 403, 404, 409, 413, 429, 503). */
export class HubbubError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'HubbubError';
    this.code = code;
  }
}

/** A new idempotency id. */
export function newId() {
  return globalThis.crypto && crypto.randomUUID ? crypto.randomUUID()
    : Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 12);
}

let libraries;

/** Loads sockjs-client and the bridge client once, as the classic scripts they are. */
export function loadLibraries(vendor = DEFAULTS.vendor) {
  if (globalThis.EventBus) {
    return Promise.resolve();
  }
  libraries = libraries || script(vendor + 'sockjs.min.js').then(() => script(vendor + 'vertx-eventbus.js'));
  return libraries;
}

function script(src) {
  return new Promise((resolve, reject) => {
    const element = document.createElement('script');
    element.src = src;
    element.onload = resolve;
    element.onerror = () => reject(new Error('could not load ' + src));
    document.head.appendChild(element);
  });
}

export class Hubbub {
  /**
   * @param {object} options token (a session token, or null for anonymous), url ('/eventbus'),
   *   onState(state) with state 'connecting' | 'open' | 'reconnecting' | 'closed', requestTimeoutMs,
   *   maxAttempts (attempts of a request that gets no answer), reconnectDelayMinMs/MaxMs, pageSize.
   */
  constructor(options = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.token = options.token || null;
    this.state = 'closed';
    this.stateListeners = options.onState ? [options.onState] : [];
    this.subscriptions = new Set();
    this.listeners = new Set();
    this.queue = [];          // requests waiting for an open connection
    this.inFlight = new Set(); // requests sent on the current connection, not answered yet
    this.eb = null;
    this.opened = null;
  }

  /** Connects (and keeps reconnecting with backoff until close()); resolves once the first connection is open. */
  connect() {
    if (this.opened) {
      return this.opened;
    }
    this.opened = loadLibraries(this.options.vendor).then(() => new Promise(resolve => {
      const o = this.options;
      const eb = new globalThis.EventBus(o.url, {
        vertxbus_reconnect_delay_min: o.reconnectDelayMinMs,
        vertxbus_reconnect_delay_max: o.reconnectDelayMaxMs,
      });
      eb.enableReconnect(true);
      this.eb = eb;
      this.setToken(this.token);
      this.setState('connecting');
      eb.onopen = () => {
        this.setState('open');
        this.listeners.forEach(l => l.start());
        this.subscriptions.forEach(s => s.start());
        const waiting = this.queue.splice(0);
        waiting.forEach(op => this.dispatch(op));
        resolve(this);
      };
      eb.onclose = () => {
        if (this.state === 'closed') {
          return;
        }
        this.setState('reconnecting');
        // the bridge client forgets its reply handlers on close: what was sent goes again on the next connection
        this.inFlight.forEach(op => clearTimeout(op.timer));
        this.queue.unshift(...this.inFlight);
        this.inFlight.clear();
      };
      eb.onerror = error => console.warn('hubbub: bridge error', error);
    }));
    return this.opened;
  }

  /** Closes for good: no reconnect; waiting requests fail with 503. */
  close() {
    this.setState('closed');
    if (this.eb) {
      try {
        this.eb.close();
      } catch (error) {
        // the server closed it first (a logout ends its sockets): the bridge client has nothing left to close
      }
    }
    [...this.queue, ...this.inFlight].forEach(op => {
      clearTimeout(op.timer);
      op.reject(new HubbubError(503, 'connection closed'));
    });
    this.queue = [];
    this.inFlight.clear();
  }

  /** Changes the token sent with every later frame (after a login). */
  setToken(token) {
    this.token = token || null;
    if (this.eb) {
      this.eb.defaultHeaders = this.token ? { authorization: 'Bearer ' + this.token } : null;
    }
  }

  /** Calls listener(state) on every change of the connection's state. */
  onState(listener) {
    this.stateListeners.push(listener);
  }

  setState(state) {
    if (this.state === state) {
      return;
    }
    this.state = state;
    this.stateListeners.forEach(listener => {
      try {
        listener(state);
      } catch (e) {
        console.error(e);
      }
    });
  }

  /**
   * Sends a request and resolves with the reply's body; rejects with a HubbubError carrying the
   * protocol's code. Waits for the connection when it is down and resends after a reconnect or when no
   * answer comes (idempotent requests only: chat.send and streams.publish get an id when they have none).
   */
  request(address, body = {}, { timeoutMs } = {}) {
    if (IDEMPOTENT_BY_ID.has(address) && body.id === undefined) {
      body = { ...body, id: newId() };
    }
    return new Promise((resolve, reject) => {
      this.dispatch({ address, body, resolve, reject, attempts: 0, timeoutMs: timeoutMs || this.options.requestTimeoutMs });
    });
  }

  /** Appends an event; resolves with {stream, seq, id, ts, duplicate?}. Safe to call while offline. */
  publish(stream, type, data, { id = newId(), expectedSeq } = {}) {
    const body = { stream, type, data, id };
    if (expectedSeq !== undefined) {
      body.expectedSeq = expectedSeq;
    }
    return this.request('streams.publish', body);
  }

  /**
   * One page of a stream's history: {stream, events, next, lastSeq}. The server bounds the reads one user
   * has waiting (429 past it: many tabs or subscriptions catching up at once), so a 429 is tried again
   * a moment later, a few times, before it is reported.
   */
  async read(stream, from = 1, limit = 100) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.request('streams.read', { stream, from, limit });
      } catch (error) {
        if (error.code !== 429 || attempt >= 5) {
          throw error;
        }
        await new Promise(resolve => setTimeout(resolve, attempt * (100 + Math.random() * 300)));
      }
    }
  }

  /** Sends without waiting for an answer (e.g. chat.typing); dropped when not connected. */
  send(address, body = {}) {
    if (this.state === 'open') {
      this.eb.send(address, body);
    }
  }

  /**
   * Every event of `stream` after `afterSeq`, exactly once and in order, live and across reconnects.
   * Returns {close(), lastSeq()}. options.onError(error) hears of a refusal (401, 403, 404), which ends
   * the subscription. options.onTruncated(firstSeq) hears that the events the subscription still needed
   * below `firstSeq` are gone (retention, or an admin's truncation): it goes on from `firstSeq`, and that
   * is not a gap.
   */
  subscribe(stream, { afterSeq = 0, onError, onTruncated } = {}, onEvent) {
    const subscription = new Subscription(this, stream, afterSeq, onEvent, onError, onTruncated);
    this.subscriptions.add(subscription);
    if (this.state === 'open') {
      subscription.start();
    }
    return subscription;
  }

  /** Registers for an address that is not a stream (e.g. chat.presence.<room>), again after every reconnect. */
  listen(address, onMessage, { onError } = {}) {
    const listener = new Listener(this, address, onMessage, onError);
    this.listeners.add(listener);
    if (this.state === 'open') {
      listener.start();
    }
    return listener;
  }

  /**
   * Follows a room's presence (members only) and calls onChange(picture) with the merged picture after every
   * change: {room, count, online: [names], listed, typing: [names]}. The server sends a snapshot when the
   * registration is in place, then deltas; this applies them in version order and asks for a snapshot again
   * after a gap, a reconnect or a restarted server. `online` names everyone while `listed`; in larger rooms it
   * is the first names of the last snapshot (call refresh() to read them again) and `count` is exact.
   */
  presence(room, onChange, { onError } = {}) {
    const tracker = new PresenceTracker(this, room, onChange);
    tracker.listener = this.listen('chat.presence.' + room, message => tracker.take(message), { onError });
    const start = tracker.listener.start.bind(tracker.listener);
    tracker.listener.start = () => { tracker.reset(); start(); }; // every new connection: a new snapshot comes
    if (this.state === 'open') {
      tracker.reset();
    }
    return tracker;
  }

  dispatch(op) {
    if (this.state !== 'open') {
      if (this.state === 'closed' && this.opened === null) {
        op.reject(new HubbubError(503, 'not connected: call connect() first'));
      } else if (this.state === 'closed') {
        op.reject(new HubbubError(503, 'connection closed'));
      } else {
        this.queue.push(op);
      }
      return;
    }
    op.attempts++;
    this.inFlight.add(op);
    op.timer = setTimeout(() => {
      // no answer: a lost frame or a refusal the bridge answers without an address
      this.inFlight.delete(op);
      if (op.attempts < this.options.maxAttempts) {
        this.dispatch(op);
      } else {
        op.reject(new HubbubError(503, 'no answer from ' + op.address + ' after ' + op.attempts + ' attempts'));
      }
    }, op.timeoutMs);
    try {
      this.eb.send(op.address, op.body, (error, message) => {
        if (!this.inFlight.delete(op)) {
          return; // timed out and sent again, or requeued by a reconnect
        }
        clearTimeout(op.timer);
        if (!error) {
          op.resolve(message.body);
        } else if (RETRYABLE.has(error.failureCode) && op.attempts < this.options.maxAttempts) {
          setTimeout(() => this.dispatch(op), backoff(op.attempts, this.options));
        } else {
          op.reject(new HubbubError(error.failureCode === -1 ? 503 : error.failureCode, error.message));
        }
      });
    } catch (e) {
      // the socket closed under us: onclose requeues it
    }
  }
}

function backoff(attempt, options) {
  const ms = options.reconnectDelayMinMs * Math.pow(2, attempt - 1);
  return Math.min(ms, options.reconnectDelayMaxMs) * (0.5 + Math.random() / 2);
}

/** A room's presence as the page shows it: a snapshot and the deltas after it (see Hubbub.presence). */
class PresenceTracker {
  constructor(hub, room, onChange) {
    this.hub = hub;
    this.room = room;
    this.onChange = onChange;
    this.waiting = [];
    this.asking = false;
    this.reset();
  }

  /** Forgets the picture's version: the next snapshot sets it, deltas wait for it. */
  reset() {
    this.version = -1;
    this.epoch = null;
    this.waiting = [];
    this.online = this.online || new Set();
    this.typing = this.typing || new Set();
    this.count = this.count || 0;
    this.listed = this.listed !== false;
  }

  take(message) {
    if (!message || (message.room !== undefined && message.room !== this.room)) {
      return; // deltas come on the room's address and do not repeat its name
    }
    const inStep = message.type === 'snapshot' ? this.snapshot(message) : this.delta(message);
    safely(() => this.onChange(this.picture()));
    if (!inStep) {
      this.refresh();
    }
  }

  /** Asks for the room's snapshot again (one at a time). */
  refresh() {
    if (this.asking || this.closed) {
      return;
    }
    this.asking = true;
    this.hub.request('chat.presence', { room: this.room })
      .then(snapshot => { this.asking = false; this.take(snapshot); })
      .catch(() => {
        this.asking = false;
        setTimeout(() => this.version < 0 && this.refresh(), 1000); // none came: again, while out of step
      });
  }

  snapshot(message) {
    if (this.version >= 0 && message.epoch === this.epoch && message.v <= this.version) {
      return true; // older than what is applied
    }
    this.epoch = message.epoch;
    this.version = message.v;
    this.online = new Set(message.online || []);
    this.typing = new Set(message.typing || []);
    this.count = message.count;
    this.listed = message.listed !== false;
    const after = this.waiting.splice(0).sort((a, b) => a.v - b.v);
    for (const delta of after) {
      if (delta.epoch !== this.epoch || delta.v <= this.version) {
        continue;
      }
      if (delta.v > this.version + 1 || !this.apply(delta)) {
        this.version = -1;
        return false;
      }
    }
    return true;
  }

  delta(message) {
    if (this.version < 0) {
      if (this.waiting.length < 10000) {
        this.waiting.push(message);
      }
      return true; // its snapshot is on the way
    }
    if (message.epoch !== this.epoch || message.v > this.version + 1) {
      this.version = -1;
      this.waiting.push(message);
      return false;
    }
    return message.v <= this.version || this.apply(message);
  }

  apply(delta) {
    (delta.joined || []).forEach(name => this.online.add(name));
    (delta.left || []).forEach(name => { this.online.delete(name); this.typing.delete(name); });
    (delta.typing || []).forEach(name => this.typing.add(name));
    (delta.stopped || []).forEach(name => this.typing.delete(name));
    this.count = delta.count;
    this.version = delta.v;
    if (delta.listed !== false && !this.listed) {
      this.version = -1; // back under the listed size: the names held are a page of an older picture
      return false;
    }
    this.listed = delta.listed !== false;
    return true;
  }

  picture() {
    return {
      room: this.room, count: this.count, listed: this.listed,
      online: [...this.online].sort(), typing: [...this.typing].sort(),
    };
  }

  close() {
    this.closed = true;
    this.listener.close();
  }
}

/** A registration for a plain address, renewed on every connection. */
class Listener {
  constructor(hub, address, onMessage, onError) {
    this.hub = hub;
    this.address = address;
    this.onMessage = onMessage;
    this.onError = onError;
    this.handler = (error, message) => {
      if (error) {
        this.report(error);
      } else {
        safely(() => this.onMessage(message.body));
      }
    };
  }

  start() {
    this.hub.eb.registerHandler(this.address, this.handler);
  }

  /**
   * A refusal ends the registration for good: it is reported once, and not renewed on reconnects. A server that
   * could not answer (503, 408, no answer) is not a refusal: the registration is made again with backoff.
   */
  report(error) {
    if (this.refused) {
      return;
    }
    if (REGISTER_AGAIN.has(error.failureCode)) {
      this.again = (this.again || 0) + 1;
      clearTimeout(this.retry);
      this.retry = setTimeout(() => {
        if (this.refused || this.hub.state !== 'open' || !(this.hub.listeners.has(this) || this.hub.subscriptions.has(this))) {
          return; // closed, or a reconnect registers it anyway
        }
        try {
          this.hub.eb.unregisterHandler(this.address, this.handler);
        } catch (e) {
          // closed meanwhile
        }
        this.start();
      }, backoff(this.again, this.hub.options));
      return;
    }
    this.refused = true;
    this.close();
    const failure = new HubbubError(error.failureCode, error.message);
    if (this.onError) {
      safely(() => this.onError(failure));
    } else {
      console.warn('hubbub: ' + this.address + ' refused', failure);
    }
  }

  close() {
    clearTimeout(this.retry);
    this.hub.listeners.delete(this);
    this.hub.subscriptions.delete(this);
    if (this.hub.state === 'open') {
      try {
        this.hub.eb.unregisterHandler(this.address, this.handler);
      } catch (e) {
        // closed meanwhile: nothing is registered any more
      }
    }
  }
}

/** Live events merged with reads of the stream, by seq: gapless and without repeats. */
class Subscription extends Listener {
  constructor(hub, stream, afterSeq, onEvent, onError, onTruncated) {
    super(hub, 'streams.live.' + stream, event => this.live(event), onError);
    this.stream = stream;
    this.last = afterSeq;
    this.onEvent = onEvent;
    this.onTruncated = onTruncated;
    this.pending = new Map(); // live events ahead of what has been delivered, by seq
    this.reading = false;
    this.again = false;
    this.settle = null;
  }

  /** The seq of the last event handed to the callback. */
  lastSeq() {
    return this.last;
  }

  start() {
    super.start();
    this.catchUp();
    // a registration on a clustered bus spreads in a moment: one more read closes that window
    clearTimeout(this.settle);
    this.settle = setTimeout(() => this.catchUp(), this.hub.options.settleMs);
  }

  close() {
    clearTimeout(this.settle);
    super.close();
  }

  /** 429 on the live address: this socket fell behind and the server skipped live events; read them. */
  report(error) {
    if (error.failureCode === 429) {
      this.catchUp();
      return;
    }
    super.report(error);
  }

  live(event) {
    if (event.seq <= this.last) {
      return;
    }
    if (this.reading || event.seq > this.last + 1) {
      this.pending.set(event.seq, event);
      this.catchUp();
      return;
    }
    this.deliver(event);
  }

  deliver(event) {
    this.last = event.seq;
    this.pending.delete(event.seq);
    safely(() => this.onEvent(event));
  }

  drain() {
    while (this.pending.has(this.last + 1)) {
      this.deliver(this.pending.get(this.last + 1));
    }
    for (const seq of this.pending.keys()) {
      if (seq <= this.last) {
        this.pending.delete(seq);
      }
    }
  }

  async catchUp() {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    let pause = 0;
    try {
      do {
        if (pause > 0) {
          // a live event waits beyond a seq the last read did not return yet: not a busy loop of reads
          await new Promise(resolve => setTimeout(resolve, pause));
          if (!this.hub.subscriptions.has(this)) {
            return;
          }
        }
        const before = this.last;
        this.again = false;
        for (;;) {
          const page = await this.hub.read(this.stream, this.last + 1, this.hub.options.pageSize);
          if (!this.hub.subscriptions.has(this)) {
            return;
          }
          if (page.firstSeq > this.last + 1) {
            // what was still needed is gone for good: go on from where the stream now starts
            this.last = page.firstSeq - 1;
            if (this.onTruncated) {
              safely(() => this.onTruncated(page.firstSeq));
            }
          }
          page.events.forEach(event => {
            if (event.seq === this.last + 1) {
              this.deliver(event);
            }
          });
          this.drain();
          if (page.events.length === 0 || this.last >= page.lastSeq) {
            break;
          }
        }
        pause = this.last > before ? 0 : Math.min(Math.max(2 * pause, 50), 2000);
      } while (this.again || this.pending.size > 0 && this.gapBehindPending());
    } catch (error) {
      if (error.code === 429) {
        // still bounded after read()'s own tries (many subscriptions catching up at once): later
        setTimeout(() => this.catchUp(), 500 + Math.random() * 1500);
      } else if (error.code !== 503) {
        this.report({ failureCode: error.code, message: error.message });
      } // 503: the next connection reads again
    } finally {
      this.reading = false;
    }
  }

  /** Live events are waiting behind a seq that no read has returned yet. */
  gapBehindPending() {
    return [...this.pending.keys()].some(seq => seq > this.last + 1);
  }
}

function safely(callback) {
  try {
    callback();
  } catch (e) {
    console.error('hubbub: a callback failed', e);
  }
}
