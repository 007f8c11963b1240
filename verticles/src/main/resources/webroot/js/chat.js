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

async function refreshRooms() {
  const { rooms } = await hub.request('chat.rooms', {});
  const list = $('room-list');
  list.replaceChildren(...rooms.map(room => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `${room.name} (${room.members.length})`;
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
  current.presence = hub.listen('chat.presence.' + name, showPresence);
  $('earlier').hidden = afterSeq === 0;
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
  const retry = item.querySelector('.retry');
  if (retry) {
    retry.remove();
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
  $('online').replaceChildren(...picture.online.map(name => {
    const item = document.createElement('li');
    item.textContent = name;
    return item;
  }));
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
  deliver(current.name, item, text, event.id);
}

async function deliver(room, item, text, id) {
  setStatus(item, 'sending', 'sending…');
  try {
    const reply = await hub.request('chat.send', { room, text, id });
    if (reply.status === 'TEXT_SUCCESS' && !item.dataset.seq) {
      setStatus(item, 'TEXT_SUCCESS', '✓ delivered');
    }
  } catch (error) {
    if (error.code === 401) {
      sessionEnded();
      return;
    }
    // TEXT_ERROR: show why, and where a second try can succeed offer to send the same message (same id) again
    setStatus(item, 'TEXT_ERROR', `✗ not sent (${error.code}): ${error.message}`);
    if (!RETRYABLE.has(error.code)) {
      return;
    }
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'retry';
    retry.textContent = 'Retry';
    retry.addEventListener('click', () => deliver(room, item, text, id));
    item.append(retry);
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
    $('join-error').textContent = 'Room names are 1 to 128 letters, digits, - or _';
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
