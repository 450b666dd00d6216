// api.js -- the daemon from the page: JSON-RPC over POST /rpc (single calls and batches,
// the same objects as on the Unix socket) and the event bus over the /events websocket.
export class RpcError extends Error {
  constructor(code, message, data) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

// -32601: the method is not in this linksnapd (yet): pages show what they can without it.
export const isMissing = (e) => e instanceof RpcError && e.code === -32601;

let loginHandler = async () => { throw new RpcError(401, 'login required'); };
export function onLogin(fn) { loginHandler = fn; }

let nextId = 1;

async function post(body) {
  for (let tries = 0; ; tries++) {
    const res = await fetch('/rpc', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    if (res.status === 401 && tries < 3) {
      await loginHandler();
      continue;
    }
    if (res.status === 204) return null;
    let doc;
    try { doc = await res.json(); } catch { throw new RpcError(res.status, res.statusText); }
    if (!res.ok) throw new RpcError(doc?.error?.code ?? res.status, doc?.error?.message ?? res.statusText);
    return doc;
  }
}

export async function rpc(method, params) {
  const id = nextId++;
  const doc = await post({ jsonrpc: '2.0', id, method, params: params || {} });
  if (doc.error) throw new RpcError(doc.error.code, doc.error.message, doc.error.data);
  return doc.result;
}

// calls: [[method, params], ...] -> [{result} | {error: RpcError}] in the same order.
export async function batch(calls) {
  if (calls.length === 0) return [];
  const base = nextId;
  nextId += calls.length;
  const doc = await post(calls.map(([method, params], i) => ({ jsonrpc: '2.0', id: base + i, method, params: params || {} })));
  const out = new Array(calls.length);
  for (const r of Array.isArray(doc) ? doc : [doc]) {
    const i = r.id - base;
    if (i < 0 || i >= calls.length) continue;
    out[i] = r.error ? { error: new RpcError(r.error.code, r.error.message, r.error.data) } : { result: r.result };
  }
  return out;
}

// Runs calls in batches of at most `size`.
export async function batchAll(calls, size = 200) {
  const out = [];
  for (let i = 0; i < calls.length; i += size) out.push(...(await batch(calls.slice(i, i + size))));
  return out;
}

export async function authState() {
  const res = await fetch('/auth', { credentials: 'same-origin' });
  return res.json();
}

// true, or the refusal as an RpcError (its data names why: a wrong token, too many of them)
export async function login(token) {
  const res = await fetch('/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token }), credentials: 'same-origin',
  });
  if (res.ok) return true;
  let e = null;
  try { e = (await res.json()).error; } catch { /* the status says it */ }
  return new RpcError(e?.code ?? res.status, e?.message ?? res.statusText, e?.data);
}

// ---- events -------------------------------------------------------------------------

const listeners = new Set();   // {prefix, fn}
let socket = null;
let backoff = 500;

function matches(prefix, topic) {
  return prefix === '*' || topic === prefix || topic.startsWith(prefix + '.');
}

export function connectEvents() {
  if (socket) return;
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/events';
  socket = new WebSocket(url);
  socket.addEventListener('open', () => { backoff = 500; });
  socket.addEventListener('message', (m) => {
    let ev;
    try { ev = JSON.parse(m.data); } catch { return; }
    for (const l of [...listeners]) if (matches(l.prefix, ev.topic)) {
      try { l.fn(ev); } catch (e) { console.error(e); }
    }
  });
  socket.addEventListener('close', () => {
    socket = null;
    setTimeout(connectEvents, backoff);
    backoff = Math.min(backoff * 2, 15000);
  });
}

// Subscribes fn to topics starting with prefix ("link", "job", "*"); returns the undo.
export function on(prefix, fn) {
  const l = { prefix, fn };
  listeners.add(l);
  return () => listeners.delete(l);
}
