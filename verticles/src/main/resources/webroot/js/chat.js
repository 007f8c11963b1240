// The chat page: sign in, rooms, history, live messages with delivery states, presence.
// Everything a user typed is rendered with textContent: never as HTML.
import { Hubbub, HubbubError, newId } from '/js/hubbub.js';

const PAGE = 50;
const TYPING_EVERY_MS = 2000;
const ROOMS_REFRESH_MS = 3000;
/** How often the room list (members, unread counts) is read while nothing else asks for it. */
const ROOMS_POLL_MS = 10000;
/** Consecutive messages of one person this close together are shown as one group. */
const GROUP_MS = 5 * 60 * 1000;
const STATE_TEXT = { connecting: 'Connecting…', open: 'Connected', reconnecting: 'Reconnecting…', closed: 'Offline' };
/** The server's chat.maxTextLength (its default): longer messages are counted and held, never cut. */
const MAX_TEXT = 4000;
const COUNT_FROM = MAX_TEXT - 500;
/** Failures a second try can get past (membership back, a rate limit passed, the store back); others cannot. */
const RETRYABLE = new Set([403, 408, 429, 503, -1]);
/** Unsent messages kept for a retry (this browser, per user): beyond this many, the oldest are dropped. */
const OUTBOX_MAX = 200;
const ROOM_RULE = 'Room names are 1 to 128 letters A-Z or a-z (no accents), digits, - or _';

const $ = id => document.getElementById(id);
// one session per tab: a second window signs in on its own, and logging out there ends only its own session
const session = {
  get: () => JSON.parse(sessionStorage.getItem('hubbub.session') || 'null'),
  set: value => value ? sessionStorage.setItem('hubbub.session', JSON.stringify(value)) : sessionStorage.removeItem('hubbub.session'),
};

let hub = null;
let me = null;
let current = null; // {name, subscription, presence, firstSeq}
let lastTyping = 0;
let roomsRefresh = null;

function showState(state) {
  const element = $('connection');
  element.dataset.state = state;
  element.textContent = STATE_TEXT[state] || state;
}

async function api(path, body) {
  const response = await fetch(path, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new HubbubError(response.status, json.error ? json.error.message : response.statusText);
  }
  return json;
}

async function signIn(register) {
  const username = $('username').value.trim();
  const password = $('password').value;
  $('login-error').textContent = '';
  try {
    if (register) {
      await api('/api/users', { username, password });
    }
    const created = await api('/api/sessions', { username, password });
    session.set({ token: created.token, username: created.username });
    $('password').value = '';
    await start();
  } catch (error) {
    $('login-error').textContent = error.message;
  }
}

async function start() {
  const saved = session.get();
  if (!saved) {
    return;
  }
  me = saved.username;
  hub = new Hubbub({ token: saved.token, onState: showState });
  await hub.connect();
  try {
    await refreshRooms();
  } catch (error) {
    if (error.code === 401) {
      return sessionEnded();
    }
    throw error;
  }
  $('login').hidden = true;
  $('chat').hidden = false;
  $('me').hidden = false;
  $('me').textContent = me;
  $('logout').hidden = false;
  $('drawer').hidden = false;
  setInterval(() => refreshRooms().catch(() => {}), ROOMS_POLL_MS);
  const last = localStorage.getItem('hubbub.room.' + me);
  if (last) {
    await openRoom(last);
  } else {
    drawer(true); // on a phone, the rooms to pick one from
  }
}

async function signOut() {
  const saved = session.get();
  session.set(null);
  if (saved) {
    fetch('/api/sessions/current', { method: 'DELETE', headers: { authorization: 'Bearer ' + saved.token } }).catch(() => {});
  }
  if (hub) {
    hub.close();
  }
  location.reload();
}

/** The server no longer knows this tab's session (logged out elsewhere, expired): back to signing in, saying so. */
function sessionEnded() {
  session.set(null);
  sessionStorage.setItem('hubbub.notice', 'Your session ended (logged out elsewhere, or expired): log in again.');
  if (hub) {
    hub.close();
  }
  location.reload();
}

/** The last seq this user has seen in a room (this browser), for its unread count. */
const seen = {
  key: room => 'hubbub.seen.' + me + '.' + room,
  get: room => Number(localStorage.getItem(seen.key(room)) || 0),
  set: (room, seq) => seq > seen.get(room) && localStorage.setItem(seen.key(room), String(seq)),
};

/**
 * Messages not sent for a reason a retry can get past, kept in this browser (per user) across reloads until they
 * are stored: each with its id, so a retry of one that was stored after all is not stored twice.
 */
const outbox = {
  key: () => 'hubbub.outbox.' + me,
  all: () => JSON.parse(localStorage.getItem(outbox.key()) || '[]'),
  save: list => list.length === 0 ? localStorage.removeItem(outbox.key())
    : localStorage.setItem(outbox.key(), JSON.stringify(list.slice(-OUTBOX_MAX))),
  put: entry => outbox.save([...outbox.all().filter(e => e.id !== entry.id), entry]),
  remove: id => outbox.save(outbox.all().filter(e => e.id !== id)),
  /** A room's unsent messages, those being sent now left out. */
  of: room => outbox.all().filter(e => e.room === room && !sending.has(e.id)),
};
/** Ids of messages being sent by this page now. */
const sending = new Set();

async function refreshRooms() {
  const { rooms } = await hub.request('chat.rooms', {});
  const list = $('room-list');
  list.replaceChildren(...rooms.map(room => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = room.name;
    const members = document.createElement('span');
    members.className = 'members';
    members.textContent = ` (${room.memberCount ?? room.members.length})`;
    button.append(name, members);
    button.title = room.name; // the whole name, where a long one is cut short
    const open = current !== null && current.name === room.name;
    button.setAttribute('aria-current', String(open));
    button.addEventListener('click', () => joinAndOpen(room.name));
    item.append(button);
    const unread = open ? 0 : Math.max(0, (room.lastSeq || 0) - seen.get(room.name));
    if (unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'unread';
      badge.textContent = unread > 99 ? '99+' : String(unread);
      badge.setAttribute('aria-label', `${unread} unread`);
      item.append(badge);
    }
    return item;
  }));
}

/** Member counts change as people join: refresh the list now and then while presence moves. */
function scheduleRoomsRefresh() {
  if (!roomsRefresh) {
    roomsRefresh = setTimeout(() => {
      roomsRefresh = null;
      refreshRooms().catch(() => {});
    }, ROOMS_REFRESH_MS);
  }
}

async function joinAndOpen(name) {
  $('join-error').textContent = '';
  try {
    await hub.request('chat.join', { room: name });
    await openRoom(name);
    await refreshRooms();
  } catch (error) {
    $('join-error').textContent = error.message;
  }
}

/** Opens or closes the drawer of rooms and people (a phone's layout; on a wide screen they are always shown). */
function drawer(open) {
  $('chat').classList.toggle('drawer-open', open);
  $('drawer').setAttribute('aria-expanded', String(open));
}

async function openRoom(name) {
  drawer(false);
  if (current) {
    current.subscription.close();
    current.presence.close();
  }
  localStorage.setItem('hubbub.room.' + me, name);
  $('room-title').textContent = '# ' + name;
  $('room-title').title = name;
  $('messages').replaceChildren();
  $('empty').hidden = true;
  $('online').replaceChildren();
  $('typing').textContent = '';
  const stream = 'chat.' + name;
  const { lastSeq, firstSeq } = await hub.read(stream, 1, 1);
  $('empty').hidden = firstSeq <= lastSeq; // nothing said yet (or nothing left): a hint until the first message
  const afterSeq = Math.max(0, lastSeq - PAGE);
  current = { name, firstSeq: afterSeq + 1 };
  current.subscription = hub.subscribe(stream, { afterSeq, onError: error => error.code === 401 && sessionEnded() }, showEvent);
  current.presence = hub.presence(name, showPresence);
  $('earlier').hidden = afterSeq === 0;
  // what was not sent here before (this page or an earlier one), below what is stored, with one retry for all
  for (const entry of outbox.of(name)) {
    const item = messageItem({ id: entry.id, by: me, data: { text: entry.text } });
    setStatus(item, 'TEXT_ERROR', entry.why);
    $('messages').append(item);
  }
  decorate();
  showUnsent();
  $('message').disabled = false;
  count();
  $('message').focus();
}

async function loadEarlier() {
  if (!current || current.firstSeq <= 1) {
    return;
  }
  const room = current;
  const from = Math.max(1, room.firstSeq - PAGE);
  const page = await hub.read('chat.' + room.name, from, room.firstSeq - from);
  if (current !== room) {
    return;
  }
  const list = $('messages');
  const before = list.scrollHeight;
  list.prepend(...page.events.map(event => messageItem(event)));
  decorate();
  room.firstSeq = from;
  list.scrollTop += list.scrollHeight - before;
  $('earlier').hidden = from === 1;
}

function messageItem(event) {
  const item = document.createElement('li');
  item.dataset.id = event.id;
  item.dataset.by = event.by;
  if (event.ts) {
    item.dataset.ts = event.ts;
  }
  if (event.seq) {
    item.dataset.seq = event.seq;
  }
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = event.by;
  const when = document.createElement('time');
  when.className = 'when';
  if (event.ts) {
    when.dateTime = event.ts;
    when.textContent = new Date(event.ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = event.data && typeof event.data.text === 'string' ? event.data.text : JSON.stringify(event.data);
  const status = document.createElement('span');
  status.className = 'status';
  item.append(who, when, status, text);
  if (event.by === me) {
    item.classList.add('mine');
  }
  return item;
}

function setStatus(item, status, text) {
  item.dataset.status = status;
  item.querySelector('.status').textContent = text;
}

/** The unsent messages of the open room: how many, and one button to send them all again. */
function showUnsent() {
  const count = current ? outbox.of(current.name).length : 0;
  $('unsent').hidden = count === 0;
  $('unsent-text').textContent = count === 1 ? '1 message not sent.' : `${count} messages not sent.`;
  $('retry-all').textContent = count === 1 ? 'Retry' : 'Retry all';
}

/** Sends the open room's unsent messages again, oldest first, one at a time; stops at the first that fails again. */
async function retryAll() {
  const room = current && current.name;
  $('retry-all').disabled = true;
  try {
    for (const entry of room ? outbox.of(room) : []) {
      if (current === null || current.name !== room) {
        break; // another room was opened: the rest stay kept for its own Retry all
      }
      const item = $('messages').querySelector(`li[data-id="${CSS.escape(entry.id)}"]:not([data-seq])`);
      if (!item) {
        continue; // stored meanwhile (its event took its place and left the outbox)
      }
      if (!await deliver(room, item, entry.text, entry.id)) {
        break;
      }
    }
  } finally {
    $('retry-all').disabled = false;
    showUnsent();
  }
}

function showEvent(event) {
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const own = event.by === me ? list.querySelector(`li[data-id="${CSS.escape(event.id)}"]:not([data-seq])`) : null;
  const item = messageItem(event);
  if (own) {
    own.remove();
  }
  if (event.by === me) {
    outbox.remove(event.id); // stored (a retry, or a send whose answer was lost): nothing left to send
    showUnsent();
  }
  if (current && event.seq) {
    seen.set(current.name, event.seq);
  }
  if (event.by === me) {
    setStatus(item, 'TEXT_SUCCESS', '✓ delivered');
  }
  // keep pending messages of mine at the bottom, below what is stored
  const firstPending = list.querySelector('li:not([data-seq])');
  list.insertBefore(item, firstPending);
  decorate();
  if (atBottom || event.by === me) {
    list.scrollTop = list.scrollHeight;
  }
}

/** The day a message was sent, as a person reads it. */
function dayOf(ts) {
  const day = new Date(ts);
  const today = new Date();
  const yesterday = new Date(today.getTime() - 86400000);
  if (day.toDateString() === today.toDateString()) {
    return 'Today';
  }
  if (day.toDateString() === yesterday.toDateString()) {
    return 'Yesterday';
  }
  return day.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
}

/**
 * Day separators (the first message of each day carries its day) and groups (a message right after one of the
 * same person's, within minutes, shows no name again); the empty room's hint.
 */
function decorate() {
  const items = [...$('messages').children];
  $('empty').hidden = items.length > 0;
  let previous = null;
  for (const item of items) {
    const ts = item.dataset.ts ? Date.parse(item.dataset.ts) : Date.now();
    const day = dayOf(ts);
    const newDay = !previous || previous.day !== day;
    let label = item.querySelector(':scope > .day');
    if (newDay && !label) {
      label = document.createElement('span');
      label.className = 'day';
      item.prepend(label);
    }
    if (newDay) {
      label.textContent = day;
    } else if (label) {
      label.remove();
    }
    item.classList.toggle('grouped', !newDay && previous.by === item.dataset.by && ts - previous.ts < GROUP_MS);
    previous = { day, by: item.dataset.by, ts };
  }
}

function showPresence(picture) {
  scheduleRoomsRefresh();
  const items = picture.online.map(name => {
    const item = document.createElement('li');
    item.textContent = name;
    return item;
  });
  if (picture.count > picture.online.length) {
    const more = document.createElement('li');
    more.className = 'more';
    more.textContent = `and ${picture.count - picture.online.length} more`;
    items.push(more);
  }
  $('online').replaceChildren(...items);
  $('online-count').textContent = picture.count > 0 ? `(${picture.count})` : '';
  const others = picture.typing.filter(name => name !== me);
  $('typing').textContent = others.length === 0 ? ''
    : others.join(', ') + (others.length === 1 ? ' is typing…' : ' are typing…');
}

/** The length counter, shown near the limit; past it the message is held (Send off) until it is shortened. */
function count() {
  const length = $('message').value.length;
  const counter = $('counter');
  counter.hidden = length < COUNT_FROM;
  counter.textContent = length > MAX_TEXT ? `${length} / ${MAX_TEXT}: ${length - MAX_TEXT} too many` : `${length} / ${MAX_TEXT}`;
  counter.classList.toggle('over', length > MAX_TEXT);
  $('send').disabled = !current || length > MAX_TEXT;
}

function send() {
  const input = $('message');
  const text = input.value;
  if (!current || text.trim() === '' || text.length > MAX_TEXT) {
    return;
  }
  input.value = '';
  count();
  const event = { id: newId(), by: me, data: { text } };
  const item = messageItem(event);
  $('messages').append(item);
  decorate();
  $('messages').scrollTop = $('messages').scrollHeight;
  // kept until it is stored: a page closed before the answer shows it again as unsent, to send with the same id
  outbox.put({ room: current.name, id: event.id, text, why: '✗ not sent: the page closed before an answer came' });
  deliver(current.name, item, text, event.id);
}

/** Sends one message; answers whether it was stored. */
async function deliver(room, item, text, id) {
  setStatus(item, 'sending', 'sending…');
  sending.add(id);
  try {
    const reply = await hub.request('chat.send', { room, text, id });
    outbox.remove(id);
    if (reply.status === 'TEXT_SUCCESS' && !item.dataset.seq) {
      setStatus(item, 'TEXT_SUCCESS', '✓ delivered');
    }
    return true;
  } catch (error) {
    if (error.code === 401) {
      outbox.put({ room, id, text, why: '✗ not sent (401): the session had ended' }); // shown again after logging in
      sessionEnded();
      return false;
    }
    // TEXT_ERROR: show why; where a second try can succeed, keep it (same id) for the one "retry all"
    const why = `✗ not sent (${error.code}): ${error.message}`;
    setStatus(item, 'TEXT_ERROR', why);
    if (RETRYABLE.has(error.code)) {
      outbox.put({ room, id, text, why });
    } else {
      outbox.remove(id);
    }
    return false;
  } finally {
    sending.delete(id);
    showUnsent();
  }
}

function typing() {
  const now = Date.now();
  if (current && hub && now - lastTyping > TYPING_EVERY_MS) {
    lastTyping = now;
    hub.send('chat.typing', { room: current.name });
  }
}

$('login-form').addEventListener('submit', event => {
  event.preventDefault();
  signIn(false);
});
$('register-button').addEventListener('click', () => signIn(true));
$('logout').addEventListener('click', signOut);
$('drawer').addEventListener('click', () => drawer(!$('chat').classList.contains('drawer-open')));
$('join-form').addEventListener('submit', event => {
  event.preventDefault();
  const name = $('room').value.trim();
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(name)) {
    $('join-error').textContent = ROOM_RULE;
    return;
  }
  $('room').value = '';
  joinAndOpen(name);
});
$('send-form').addEventListener('submit', event => {
  event.preventDefault();
  send();
});
$('message').addEventListener('input', count);
$('message').addEventListener('keydown', event => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  } else {
    typing();
  }
});
$('earlier').addEventListener('click', loadEarlier);
$('retry-all').addEventListener('click', retryAll);
$('messages').addEventListener('scroll', () => {
  if ($('messages').scrollTop === 0 && !$('earlier').hidden) {
    loadEarlier();
  }
});

const notice = sessionStorage.getItem('hubbub.notice');
if (notice) {
  sessionStorage.removeItem('hubbub.notice');
  $('login-error').textContent = notice;
}
start().catch(error => console.error('hubbub: could not start', error));
