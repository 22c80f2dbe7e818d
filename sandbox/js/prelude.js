// Start-up code of every agent isolate, run once per isolate before the agent's modules.
// `native` holds the C++ functions (sandbox/globals.cc); it is dropped after start-up, so agent code
// only sees the standard-shaped globals defined here. The whatwg-url bundle is appended after this
// file (it needs TextEncoder/TextDecoder) and defines URL and URLSearchParams, parsing with
// native.urlParse (ada; third_party/js/url-entry.js).
'use strict';

const define = (name, value) =>
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });

// Hooks the C++ side calls; returned by the start-up function (see embed.mjs), never global.
const hooks = {};

// --- ctx and the response ------------------------------------------------------------------------
// One entry per agent function, made once per isolate: it builds ctx from the per-request values
// and calls the handler, so a request costs a single call from C++. ctx and ctx.request are class
// instances: their lazy parts (bodyBytes, kv) are getters on the prototype, which cost nothing
// until used, where getters in an object literal would be defined again on every request.
class HandlerRequest {
  #invocation;
  #bytes;
  constructor(url, method, headers, body, invocation) {
    this.url = url;
    this.method = method;
    this.headers = headers;
    this.body = body;
    this.#invocation = invocation;
  }
  get bodyBytes() { return (this.#bytes ??= native.bodyBytes(this.#invocation)); }
}

class HandlerContext {
  #invocation;
  #kv;
  #secrets;
  constructor(request, auth, metadata, invocation) {
    this.request = request;
    this.auth = auth;
    this.metadata = metadata;
    this.#invocation = invocation;
  }
  get kv() { return (this.#kv ??= new KvNamespace(this.#invocation)); }
  get secrets() { return (this.#secrets ??= new SecretsNamespace(this.#invocation)); }
}

// ctx.secrets: read-only; the values are set by the agent's owner (agentgate secret set).
class SecretsNamespace {
  #invocation;
  constructor(invocation) { this.#invocation = invocation; }
  get(name) { return native.secretsGet(this.#invocation, name); }
  has(name) { return native.secretsHas(this.#invocation, name); }
}

hooks.functionEntry = (handler, agentId, agentSlug, functionName, basePath) =>
  (url, method, headerPairs, body, requestId, origin, invocation, userId) => {
    const headers = {};
    for (let i = 0; i < headerPairs.length; i += 2) {
      const name = headerPairs[i];
      const value = headerPairs[i + 1];
      if (Object.hasOwn(headers, name)) {
        // Repeated fields combine as RFC 9110 says; cookies with "; " as RFC 6265 does.
        headers[name] += (name === 'cookie' ? '; ' : ', ') + value;
      } else if (name === '__proto__') {
        Object.defineProperty(headers, name, { value, writable: true, enumerable: true, configurable: true });
      } else {
        headers[name] = value;
      }
    }
    return handler(new HandlerContext(
      new HandlerRequest(url, method, headers, body, invocation),
      { agentId, userId, user_id: userId },
      { agentId, agentSlug, functionName, requestId, origin, basePath },
      invocation));
  };

// --- ctx.kv ----------------------------------------------------------------------------------------
// Unpacks the options object; the natives (sandbox/kv_binding.cc) validate, check permissions and
// scope every key to this agent. Errors arrive as rejections, as from an async function, without
// the extra promise an async wrapper would add on every call.
const kvOptions = (method, options) => {
  if (typeof options !== 'object' || options === null) {
    const error = new TypeError(`INVALID_ARGUMENT: kv.${method}: expects an options object such as { user_id, key }`);
    error.code = 'INVALID_ARGUMENT';
    throw error;
  }
  return options;
};
// Each method's native call, from the unpacked options.
const kvCalls = {
  get: (invocation, { user_id, key, scope }) => native.kvGet(invocation, user_id, key, scope),
  put: (invocation, { user_id, key, value, scope, ttlSeconds }) =>
    native.kvPut(invocation, user_id, key, value, scope, ttlSeconds),
  delete: (invocation, { user_id, key, scope }) => native.kvDelete(invocation, user_id, key, scope),
  take: (invocation, { user_id, key, scope }) => native.kvTake(invocation, user_id, key, scope),
  list: (invocation, { user_id, prefix, scope, limit, cursor }) =>
    native.kvList(invocation, user_id, prefix, scope, limit, cursor),
};
class KvNamespace {
  #invocation;
  constructor(invocation) { this.#invocation = invocation; }
  #call(method, options) {
    try {
      return kvCalls[method](this.#invocation, kvOptions(method, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  get(options) { return this.#call('get', options); }
  put(options) { return this.#call('put', options); }
  delete(options) { return this.#call('delete', options); }
  take(options) { return this.#call('take', options); }
  list(options) { return this.#call('list', options); }
}
Object.defineProperty(KvNamespace.prototype, Symbol.toStringTag, { value: 'KvNamespace' });
for (const proto of [KvNamespace.prototype, SecretsNamespace.prototype, HandlerContext.prototype, HandlerRequest.prototype]) {
  Object.freeze(proto);
}

const isPlainData = (value) => {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
};

// --- Headers (https://fetch.spec.whatwg.org/#headers-class) --------------------------------------
// A header list of lower-case names; get() combines repeated values with ", ", and iteration is
// sorted by name with each set-cookie on its own, as the standard says.
const headerToken = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const normalizeHeaderValue = (value) => String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
const checkedHeader = (name, value) => {
  const lower = String(name).toLowerCase();
  if (!headerToken.test(lower)) throw new TypeError(`Headers: '${String(name).slice(0, 100)}' is not a valid header name`);
  const normalized = normalizeHeaderValue(value);
  if (/[\0\r\n]/.test(normalized)) throw new TypeError(`Headers: the value of '${lower}' contains NUL, CR or LF`);
  return [lower, normalized];
};
class Headers {
  #list = [];  // [name, value] in insertion order
  constructor(init = undefined) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [name, value] of init.#list) this.#list.push([name, value]);
    } else if (typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const entry = [...pair];
        if (entry.length !== 2) throw new TypeError('Headers: each entry must be a [name, value] pair');
        this.append(entry[0], entry[1]);
      }
    } else if (typeof init === 'object') {
      for (const name of Object.keys(init)) this.append(name, init[name]);
    } else {
      throw new TypeError('Headers: expected an object, an iterable of pairs, or a Headers');
    }
  }
  append(name, value) { this.#list.push(checkedHeader(name, value)); }
  set(name, value) {
    // The first header of this name takes the value, the others go (or it is appended).
    const [lower, normalized] = checkedHeader(name, value);
    let replaced = false;
    this.#list = this.#list.filter((entry) => {
      if (entry[0] !== lower) return true;
      if (replaced) return false;
      entry[1] = normalized;
      replaced = true;
      return true;
    });
    if (!replaced) this.#list.push([lower, normalized]);
  }
  delete(name) {
    const lower = checkedHeader(name, '')[0];
    this.#list = this.#list.filter(([n]) => n !== lower);
  }
  get(name) {
    const lower = checkedHeader(name, '')[0];
    const values = this.#list.filter(([n]) => n === lower).map(([, v]) => v);
    return values.length === 0 ? null : values.join(', ');
  }
  getSetCookie() { return this.#list.filter(([n]) => n === 'set-cookie').map(([, v]) => v); }
  has(name) {
    const lower = checkedHeader(name, '')[0];
    return this.#list.some(([n]) => n === lower);
  }
  *entries() {
    const names = [...new Set(this.#list.map(([n]) => n))].sort();
    for (const name of names) {
      if (name === 'set-cookie') {
        for (const value of this.getSetCookie()) yield [name, value];
      } else {
        yield [name, this.get(name)];
      }
    }
  }
  *keys() { for (const [name] of this.entries()) yield name; }
  *values() { for (const [, value] of this.entries()) yield value; }
  forEach(callback, thisArg) { for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this); }
  [Symbol.iterator]() { return this.entries(); }
  get [Symbol.toStringTag]() { return 'Headers'; }
}
define('Headers', Headers);

// --- Response (https://fetch.spec.whatwg.org/#response-class), without streams -------------------
// A handler may return one; fetch will resolve with one. The body is held whole (bytes or null).
// Made on first use: the Encoding classes are defined further down.
let encoder, decoder;
const utf8 = (text) => (encoder ??= new TextEncoder()).encode(text);
const fromUtf8 = (bytes) => (decoder ??= new TextDecoder()).decode(bytes);
const extractBody = (body, headers) => {
  if (body === undefined || body === null) return null;
  const type = (value) => { if (!headers.has('content-type')) headers.set('content-type', value); };
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0));
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  if (body instanceof URLSearchParams) {
    type('application/x-www-form-urlencoded;charset=UTF-8');
    return utf8(body.toString());
  }
  type('text/plain;charset=UTF-8');
  return utf8(String(body));
};
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);

// What Request and Response share: a body held whole, readable once.
class Body {
  #bytes; #used = false;
  constructor(bytes) { this.#bytes = bytes; }
  get bodyUsed() { return this.#used; }
  #consume() {
    if (this.#used) throw new TypeError('the body has already been read');
    this.#used = true;
    return this.#bytes ?? new Uint8Array(0);
  }
  async arrayBuffer() { const bytes = this.#consume(); return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength); }
  async text() { return fromUtf8(this.#consume()); }
  async json() { return JSON.parse(fromUtf8(this.#consume())); }
  // The bytes without reading them (clone, the response path).
  static peek(body) {
    if (body.#used) throw new TypeError('clone: the body has already been read');
    return body.#bytes;
  }
  // Hands bytes made for this body alone (a fetched response's) over without a copy.
  static adopt(body, bytes) { body.#bytes = bytes; }
}
const peekBody = Body.peek;
const adoptBody = Body.adopt;
delete Body.peek;
delete Body.adopt;

class Response extends Body {
  #status; #statusText; #headers; #url = ''; #redirected = false;
  constructor(body = null, init = {}) {
    const status = init.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`Response: status ${status} is not in the range 200 to 599`);
    }
    const headers = new Headers(init.headers);
    if (body !== null && body !== undefined && nullBodyStatuses.has(status)) {
      throw new TypeError(`Response: a ${status} response cannot have a body`);
    }
    super(extractBody(body, headers));
    this.#status = status;
    this.#statusText = init.statusText === undefined ? '' : String(init.statusText);
    this.#headers = headers;
  }
  static json(data, init = {}) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Response.json: the data cannot be serialized');
    const response = new Response(text, init);
    response.headers.set('content-type', 'application/json');
    return response;
  }
  static redirect(url, status = 302) {
    if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Response.redirect: ${status} is not a redirect status`);
    return new Response(null, { status, headers: { location: new URL(url).href } });
  }
  get status() { return this.#status; }
  get ok() { return this.#status >= 200 && this.#status <= 299; }
  get statusText() { return this.#statusText; }
  get headers() { return this.#headers; }
  get type() { return 'default'; }
  get url() { return this.#url; }
  get redirected() { return this.#redirected; }
  clone() {
    return new Response(peekBody(this), { status: this.#status, statusText: this.#statusText, headers: this.#headers });
  }
  get [Symbol.toStringTag]() { return 'Response'; }
  // What only fetch knows about a response it received.
  static setNetworkFields(response, url, redirected) {
    response.#url = url;
    response.#redirected = redirected;
  }
}
const responseBody = (response) => peekBody(response);
const setNetworkFields = Response.setNetworkFields;
delete Response.setNetworkFields;

// --- Request (https://fetch.spec.whatwg.org/#request-class), without streams ---------------------
const forbiddenMethods = new Set(['CONNECT', 'TRACE', 'TRACK']);
const normalizedMethods = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const redirectModes = new Set(['follow', 'manual', 'error']);
class Request extends Body {
  #url; #method; #headers; #signal; #redirect;
  constructor(input, init = {}) {
    const source = input instanceof Request ? input : null;
    const parsed = source ? null : new URL(String(input));  // parsed once, shared with the Request
    if (parsed && (parsed.username || parsed.password)) {
      throw new TypeError('Request: the URL must not include credentials');
    }
    const url = source ? source.url : parsed.href;
    let method = init.method === undefined ? (source?.method ?? 'GET') : String(init.method);
    if (!headerToken.test(method)) throw new TypeError(`Request: '${method}' is not a valid method`);
    if (normalizedMethods.has(method.toUpperCase())) method = method.toUpperCase();
    if (forbiddenMethods.has(method.toUpperCase())) throw new TypeError(`Request: the method ${method} is forbidden`);
    const headers = new Headers(init.headers ?? source?.headers);
    const bytes = init.body !== undefined && init.body !== null ? extractBody(init.body, headers) : (source ? peekBody(source) : null);
    if ((method === 'GET' || method === 'HEAD') && bytes !== null) {
      throw new TypeError('Request: a GET or HEAD request cannot have a body');
    }
    const redirect = init.redirect ?? source?.redirect ?? 'follow';
    if (!redirectModes.has(redirect)) throw new TypeError(`Request: redirect must be follow, manual or error`);
    super(bytes);
    this.#url = url;
    this.#method = method;
    this.#headers = headers;
    if (init.signal !== undefined && init.signal !== null && !(init.signal instanceof AbortSignal)) {
      throw new TypeError('Request: signal must be an AbortSignal');
    }
    this.#signal = init.signal ?? source?.signal ?? new AbortSignal(abortReason);
    this.#redirect = redirect;
  }
  get url() { return this.#url; }
  get method() { return this.#method; }
  get headers() { return this.#headers; }
  get signal() { return this.#signal; }
  get redirect() { return this.#redirect; }
  clone() { return new Request(this); }
  get [Symbol.toStringTag]() { return 'Request'; }
}
define('Request', Request);
define('Response', Response);

// --- fetch (https://fetch.spec.whatwg.org/#fetch-method) ------------------------------------------
// HTTP/1.1 and TLS run in C++ on the worker's event loop (sandbox/fetch_binding.cc,
// dispatcher/http_fetcher.cc), behind the egress guard. Here: the Request, the abort, the Response.
const pairs = (flat) => {
  const out = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
};
async function fetch(input, init = undefined) {
  const request = new Request(input, init);
  const signal = request.signal;
  if (signal.aborted) throw signal.reason;
  const headers = [];
  for (const [name, value] of request.headers) headers.push(name, value);
  const [pending, id] = native.fetchStart(request.method, request.url, headers, peekBody(request), request.redirect);
  let onAbort;
  const aborted = new Promise((_, reject) => {
    onAbort = () => {
      native.fetchCancel(id);
      reject(signal.reason);
    };
  });
  signal.addEventListener('abort', onAbort, { once: true });
  let raw;
  try {
    raw = await Promise.race([pending, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (raw.status < 200 || raw.status > 599) {
    const error = new TypeError(`fetch: the server answered with status ${raw.status}, which fetch does not accept`);
    error.code = 'NETWORK_ERROR';
    throw error;
  }
  const response = new Response(null, { status: raw.status, statusText: raw.statusText, headers: pairs(raw.headers) });
  if (!nullBodyStatuses.has(raw.status)) adoptBody(response, raw.body);
  setNetworkFields(response, raw.url, raw.redirected);
  return response;
}
define('fetch', fetch);

// --- AbortController / AbortSignal (https://dom.spec.whatwg.org/#aborting-ongoing-activities) ----
class Event {
  #type; #target = null;
  constructor(type) { this.#type = String(type); }
  get type() { return this.#type; }
  get target() { return this.#target; }
  get currentTarget() { return this.#target; }
  static dispatchTo(event, target) { event.#target = target; }
}
const setEventTarget = Event.dispatchTo;
delete Event.dispatchTo;

class EventTarget {
  #listeners = new Map();  // type -> [{ callback, once }]
  addEventListener(type, callback, options = undefined) {
    if (typeof callback !== 'function' && typeof callback?.handleEvent !== 'function') return;
    const list = this.#listeners.get(type) ?? [];
    if (list.some((entry) => entry.callback === callback)) return;
    list.push({ callback, once: Boolean(typeof options === 'object' && options?.once) });
    this.#listeners.set(type, list);
  }
  removeEventListener(type, callback) {
    const list = this.#listeners.get(type);
    if (list) this.#listeners.set(type, list.filter((entry) => entry.callback !== callback));
  }
  dispatchEvent(event) {
    setEventTarget(event, this);
    for (const entry of [...(this.#listeners.get(event.type) ?? [])]) {
      if (entry.once) this.removeEventListener(event.type, entry.callback);
      try {
        if (typeof entry.callback === 'function') entry.callback.call(this, event);
        else entry.callback.handleEvent(event);
      } catch (error) {
        native.log('error', 'uncaught exception in an event listener: ' + (error?.stack ?? String(error)));
      }
    }
    return true;
  }
}

const abortReason = () => domException('This operation was aborted', 'AbortError');
class AbortSignal extends EventTarget {
  #aborted = false; #reason = undefined; #onabort = null;
  constructor(secret) {
    super();
    if (secret !== abortReason) throw new TypeError('Illegal constructor');
  }
  get aborted() { return this.#aborted; }
  get reason() { return this.#reason; }
  get onabort() { return this.#onabort; }
  set onabort(handler) {
    if (this.#onabort) this.removeEventListener('abort', this.#onabort);
    this.#onabort = typeof handler === 'function' ? handler : null;
    if (this.#onabort) this.addEventListener('abort', this.#onabort);
  }
  throwIfAborted() { if (this.#aborted) throw this.#reason; }
  static signalAbort(signal, reason) {
    if (signal.#aborted) return;
    signal.#aborted = true;
    signal.#reason = reason === undefined ? abortReason() : reason;
    signal.dispatchEvent(new Event('abort'));
  }
  static abort(reason) {
    const signal = new AbortSignal(abortReason);
    signalAbort(signal, reason);
    return signal;
  }
  static timeout(milliseconds) {
    const signal = new AbortSignal(abortReason);
    setTimeout(() => signalAbort(signal, domException('The operation was aborted due to timeout', 'TimeoutError')), milliseconds);
    return signal;
  }
  static any(signals) {
    const signal = new AbortSignal(abortReason);
    for (const source of signals) {
      if (source.aborted) {
        signalAbort(signal, source.reason);
        return signal;
      }
    }
    for (const source of signals) source.addEventListener('abort', () => signalAbort(signal, source.reason), { once: true });
    return signal;
  }
  get [Symbol.toStringTag]() { return 'AbortSignal'; }
}
const signalAbort = AbortSignal.signalAbort;
delete AbortSignal.signalAbort;

class AbortController {
  #signal = new AbortSignal(abortReason);
  get signal() { return this.#signal; }
  abort(reason) { signalAbort(this.#signal, reason); }
  get [Symbol.toStringTag]() { return 'AbortController'; }
}
define('Event', Event);
define('EventTarget', EventTarget);
define('AbortSignal', AbortSignal);
define('AbortController', AbortController);

// Flattens a handler's return value to [status, body, name, value, name, value, ...] with
// lower-case names, or returns a string saying what is wrong. C++ (response_convert.cc) checks the
// types, names and characters of what comes back and drops framing headers: this shapes the data,
// it is not the security check.
// Subscribes the C++ side to a handler's pending promise (AgentIsolate::settle). `then` and
// Reflect.apply are taken now, before agent code runs: replacing them later changes nothing here.
const promiseThen = Promise.prototype.then;
const reflectApply = Reflect.apply;
const handlerFulfilled = native.handlerFulfilled;
const handlerRejected = native.handlerRejected;
hooks.subscribe = (promise, invocation) => {
  reflectApply(promiseThen, promise, [(value) => handlerFulfilled(invocation, value),
                                      (reason) => handlerRejected(invocation, reason)]);
};

hooks.flattenResponse = (response) => {
  if (typeof response !== 'object' || response === null || Array.isArray(response)) {
    return 'the handler must return an object such as { status, headers, body }';
  }
  if (response instanceof Response) {
    const out = [response.status, responseBody(response) ?? ''];
    for (const [name, value] of response.headers) out.push(name, value);
    return out;
  }
  const { status, headers, body } = response;
  const out = [status, ''];
  if (headers instanceof Headers) {
    for (const [name, value] of headers) out.push(name, value);  // set-cookie comes out once per cookie
  } else if (headers !== undefined && headers !== null) {
    if (typeof headers !== 'object' || Array.isArray(headers)) return 'headers: must be an object of name -> value or a Headers';
    for (const name of Object.keys(headers)) {
      const lower = name.toLowerCase();
      const value = headers[name];
      if (Array.isArray(value)) {
        for (const item of value) out.push(lower, item);
      } else {
        out.push(lower, value);
      }
    }
  }
  if (body === undefined || body === null) return out;
  if (typeof body === 'string' || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    out[1] = body;
  } else if (typeof body === 'object' && isPlainData(body)) {
    out[1] = JSON.stringify(body);
    let typed = false;
    for (let i = 2; i < out.length; i += 2) typed ||= out[i] === 'content-type';
    if (!typed) out.push('content-type', 'application/json');
  } else {
    return 'body: must be a string, Uint8Array, ArrayBuffer, or a plain object/array (sent as JSON)';
  }
  return out;
};

// --- Encoding (https://encoding.spec.whatwg.org/), UTF-8 only --------------------------------------
const utf8Labels = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8']);

// Short strings are encoded here: the reference URL code (setters, non-ASCII query parts) encodes
// one code point at a time, and a native call (with its own ArrayBuffer backing store) per
// character cost more than the work itself.
const kEncodeInJs = 256;
const encodeShort = (text) => {
  const out = new Uint8Array(text.length * 3);  // at most 3 bytes per UTF-16 unit
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          out[n++] = 0xf0 | (cp >> 18);
          out[n++] = 0x80 | ((cp >> 12) & 0x3f);
          out[n++] = 0x80 | ((cp >> 6) & 0x3f);
          out[n++] = 0x80 | (cp & 0x3f);
          i++;
          continue;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;  // a lone surrogate encodes as U+FFFD
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    }
  }
  return out.slice(0, n);
};
class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(input = '') {
    const text = String(input);
    return text.length <= kEncodeInJs ? encodeShort(text) : native.utf8Encode(text);
  }
  encodeInto(source, destination) {
    if (!(destination instanceof Uint8Array)) throw new TypeError('encodeInto: destination must be a Uint8Array');
    return native.utf8EncodeInto(String(source), destination);
  }
}

const toBytes = (input) => {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError('TextDecoder.decode: input must be an ArrayBuffer or ArrayBufferView');
};

class TextDecoder {
  #fatal; #ignoreBOM;
  constructor(label = 'utf-8', options = {}) {
    if (!utf8Labels.has(String(label).trim().toLowerCase())) {
      throw new RangeError(`TextDecoder: encoding '${label}' is not supported (only utf-8)`);
    }
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
  }
  get encoding() { return 'utf-8'; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }
  decode(input, options = {}) {
    if (options?.stream) throw new TypeError('TextDecoder.decode: {stream: true} is not supported');
    return native.utf8Decode(toBytes(input), this.#fatal, this.#ignoreBOM);
  }
}
define('TextEncoder', TextEncoder);
define('TextDecoder', TextDecoder);

// --- Forgiving base64 (https://infra.spec.whatwg.org/#forgiving-base64) ---------------------------
const domException = (message, name) => {
  const error = new Error(message);
  error.name = name;
  return error;
};
const base64Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const base64Index = new Map([...base64Alphabet].map((c, i) => [c, i]));

define('btoa', function btoa(data) {
  if (arguments.length === 0) throw new TypeError("btoa: 1 argument required");
  const text = String(data);
  let out = '';
  for (let i = 0; i < text.length; i += 3) {
    const codes = [text.charCodeAt(i), text.charCodeAt(i + 1), text.charCodeAt(i + 2)];
    for (let j = 0; j < 3 && i + j < text.length; j++) {
      if (codes[j] > 0xff) throw domException('btoa: the string contains characters outside of Latin1', 'InvalidCharacterError');
    }
    const [a, b = 0, c = 0] = codes.map((v) => (Number.isNaN(v) ? 0 : v));
    const n = (a << 16) | (b << 8) | c;
    const remaining = text.length - i;
    out += base64Alphabet[(n >> 18) & 63] + base64Alphabet[(n >> 12) & 63] +
      (remaining > 1 ? base64Alphabet[(n >> 6) & 63] : '=') + (remaining > 2 ? base64Alphabet[n & 63] : '=');
  }
  return out;
});

define('atob', function atob(data) {
  if (arguments.length === 0) throw new TypeError("atob: 1 argument required");
  let text = String(data).replace(/[\t\n\f\r ]/g, '');
  if (text.length % 4 === 0) text = text.replace(/={1,2}$/, '');
  if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text)) {
    throw domException('atob: the string to be decoded is not correctly encoded', 'InvalidCharacterError');
  }
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const c of text) {
    buffer = (buffer << 6) | base64Index.get(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((buffer >> bits) & 0xff);
    }
  }
  return out;
});

// --- console ------------------------------------------------------------------------------------
// Never throws: logging must not change what agent code does (revoked proxies, throwing getters).
const describe = (value) => {
  try {
    if (typeof value === 'string') return value;
    if (typeof value === 'function') return `[Function ${value.name || 'anonymous'}]`;
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'symbol' || value === null || typeof value !== 'object') return String(value);
    if (value instanceof Error) return String(value.stack || value);
    return JSON.stringify(value, (key, v) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return '[unprintable]';
    }
  }
};
const format = (args) => args.map((a) => describe(a)).join(' ');
const consoleObject = {};
for (const [method, level] of [['log', 'info'], ['info', 'info'], ['debug', 'debug'], ['warn', 'warn'], ['error', 'error']]) {
  consoleObject[method] = (...args) => native.log(level, format(args));
}
define('console', consoleObject);

// --- crypto ---------------------------------------------------------------------------------------
const integerArrays = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];
// Version 4 UUIDs from a pool of OpenSSL random bytes refilled 128 UUIDs at a time (as Node does):
// one native call per 128 instead of one each. The pool is out of reach of agent code.
const uuidPool = new Uint8Array(16 * 128);
let uuidOffset = uuidPool.length;
const byteHex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
function randomUUID() {
  if (uuidOffset === uuidPool.length) {
    native.fillRandom(uuidPool);
    uuidOffset = 0;
  }
  const b = uuidPool;
  const i = uuidOffset;
  uuidOffset += 16;
  const h = (k) => byteHex[b[i + k]];
  return h(0) + h(1) + h(2) + h(3) + '-' + h(4) + h(5) + '-' + byteHex[(b[i + 6] & 0x0f) | 0x40] + h(7) + '-' +
    byteHex[(b[i + 8] & 0x3f) | 0x80] + h(9) + '-' + h(10) + h(11) + h(12) + h(13) + h(14) + h(15);
}

const cryptoObject = {
  getRandomValues(array) {
    if (!integerArrays.some((T) => array instanceof T)) {
      throw domException('getRandomValues: the argument must be an integer TypedArray', 'TypeMismatchError');
    }
    if (array.byteLength > 65536) {
      throw domException('getRandomValues: at most 65536 bytes per call', 'QuotaExceededError');
    }
    native.fillRandom(array);
    return array;
  },
  randomUUID,
  // Not in Web Crypto, but what a handler comparing tokens needs (as Node's crypto.timingSafeEqual).
  timingSafeEqual(a, b) { return native.timingSafeEqual(a, b); },
};

// crypto.subtle (https://w3c.github.io/webcrypto/), the part handlers need today: digest, and HMAC
// keys for sign/verify. The work is done natively on OpenSSL (sandbox/crypto_binding.cc).
const hashNames = new Map([['sha-1', 'SHA-1'], ['sha-256', 'SHA-256'], ['sha-384', 'SHA-384'], ['sha-512', 'SHA-512']]);
const algorithmName = (algorithm) => {
  const name = typeof algorithm === 'string' ? algorithm : algorithm?.name;
  if (typeof name !== 'string') throw new TypeError('algorithm: expected a name or an object with a name');
  return name;
};
const hashName = (algorithm) => {
  const name = hashNames.get(algorithmName(algorithm).toLowerCase());
  if (!name) throw domException(`hash '${algorithmName(algorithm)}' is not supported`, 'NotSupportedError');
  return name;
};
const bufferSource = (data, what) => {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data;
  throw new TypeError(`${what}: expected an ArrayBuffer or a view of one`);
};
const copyOf = (data) => {
  const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return view.slice();
};
const toArrayBuffer = (bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);

const keyMaterial = new WeakMap();  // CryptoKey -> its bytes, out of reach of agent code
class CryptoKey {
  #type; #extractable; #algorithm; #usages;
  constructor(secret, type, extractable, algorithm, usages) {
    if (secret !== keyMaterial) throw new TypeError('Illegal constructor');
    this.#type = type; this.#extractable = extractable; this.#algorithm = algorithm; this.#usages = usages;
  }
  get type() { return this.#type; }
  get extractable() { return this.#extractable; }
  get algorithm() { return native.structuredClone(this.#algorithm); }
  get usages() { return [...this.#usages]; }
}
Object.freeze(CryptoKey.prototype);

const hmacKey = (key, usage) => {
  if (!(key instanceof CryptoKey) || !keyMaterial.has(key)) throw new TypeError('key: expected a CryptoKey');
  if (key.algorithm.name !== 'HMAC') throw domException('the key is not an HMAC key', 'InvalidAccessError');
  if (!key.usages.includes(usage)) throw domException(`the key's usages do not include '${usage}'`, 'InvalidAccessError');
  return keyMaterial.get(key);
};
const checkHmac = (algorithm) => {
  if (algorithmName(algorithm).toUpperCase() !== 'HMAC') {
    throw domException(`algorithm '${algorithmName(algorithm)}' is not supported (HMAC is)`, 'NotSupportedError');
  }
};

const base64urlBytes = (text, field) => {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]+$/.test(text)) throw domException(`JWK ${field}: expected base64url`, 'DataError');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
};
const publicUsages = (usages) => {
  const list = [...usages];
  for (const usage of list) {
    if (usage !== 'verify') throw domException(`a public key cannot be used to '${usage}'`, 'SyntaxError');
  }
  return [...new Set(list)];
};
const jwkChecks = { 'RS1': 'SHA-1', 'RS256': 'SHA-256', 'RS384': 'SHA-384', 'RS512': 'SHA-512' };

// importKey('jwk', ...) for the public keys that sign id_tokens: RSA (RS256...) and P-256 (ES256).
const importPublicJwk = (jwk, algorithm, extractable, usages) => {
  if (typeof jwk !== 'object' || jwk === null) throw new TypeError('importKey: a JWK must be an object');
  const name = algorithmName(algorithm).toUpperCase();
  if (name === 'RSASSA-PKCS1-V1_5') {
    if (algorithm.hash === undefined) throw new TypeError('importKey: algorithm.hash is required');
    const hash = hashName(algorithm.hash);
    if (jwk.kty !== 'RSA') throw domException("JWK kty: expected 'RSA'", 'DataError');
    if (jwk.d !== undefined) throw domException('only public RSA keys can be imported', 'NotSupportedError');
    if (jwk.alg !== undefined && jwkChecks[jwk.alg] !== hash) throw domException(`JWK alg '${jwk.alg}' does not match ${hash}`, 'DataError');
    const modulus = base64urlBytes(jwk.n, 'n');
    const exponent = base64urlBytes(jwk.e, 'e');
    native.verifySignature('RSA', hash, jwk.n, jwk.e, new Uint8Array(), new Uint8Array());  // throws for a bad key
    const key = new CryptoKey(keyMaterial, 'public', Boolean(extractable),
                              { name: 'RSASSA-PKCS1-v1_5', modulusLength: modulus.length * 8, publicExponent: exponent, hash: { name: hash } },
                              publicUsages(usages));
    keyMaterial.set(key, { kind: 'RSA', first: jwk.n, second: jwk.e, jwk: { kty: 'RSA', n: jwk.n, e: jwk.e } });
    return key;
  }
  if (name === 'ECDSA') {
    if (algorithm.namedCurve !== 'P-256') throw domException('ECDSA: only the P-256 curve is supported', 'NotSupportedError');
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw domException("JWK: expected kty 'EC' and crv 'P-256'", 'DataError');
    if (jwk.d !== undefined) throw domException('only public EC keys can be imported', 'NotSupportedError');
    base64urlBytes(jwk.x, 'x');
    base64urlBytes(jwk.y, 'y');
    try {
      native.verifySignature('EC-P256', 'SHA-256', jwk.x, jwk.y, new Uint8Array(), new Uint8Array());
    } catch {
      throw domException('JWK: not a valid P-256 public key', 'DataError');
    }
    const key = new CryptoKey(keyMaterial, 'public', Boolean(extractable), { name: 'ECDSA', namedCurve: 'P-256' },
                              publicUsages(usages));
    keyMaterial.set(key, { kind: 'EC-P256', first: jwk.x, second: jwk.y, jwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } });
    return key;
  }
  throw domException(`algorithm '${algorithmName(algorithm)}' is not supported for jwk keys`, 'NotSupportedError');
};

const subtle = {
  async digest(algorithm, data) {
    return toArrayBuffer(native.digest(hashName(algorithm), bufferSource(data, 'digest')));
  },
  async importKey(format, keyData, algorithm, extractable, usages) {
    if (format === 'jwk') return importPublicJwk(keyData, algorithm, extractable, usages);
    if (format !== 'raw') throw domException(`key format '${format}' is not supported (raw, jwk are)`, 'NotSupportedError');
    checkHmac(algorithm);
    if (algorithm.hash === undefined) throw new TypeError('HMAC importKey: algorithm.hash is required');
    const hash = hashName(algorithm.hash);
    const bytes = copyOf(bufferSource(keyData, 'importKey'));
    if (bytes.length === 0) throw domException('HMAC importKey: the key is empty', 'DataError');
    const length = algorithm.length ?? bytes.length * 8;
    if (length !== bytes.length * 8) throw domException('HMAC importKey: length does not match the key', 'DataError');
    const list = [...usages];
    if (list.length === 0) throw domException('importKey: usages must not be empty', 'SyntaxError');
    for (const usage of list) {
      if (usage !== 'sign' && usage !== 'verify') throw domException(`HMAC keys cannot be used to '${usage}'`, 'SyntaxError');
    }
    const key = new CryptoKey(keyMaterial, 'secret', Boolean(extractable), { name: 'HMAC', hash: { name: hash }, length },
                              [...new Set(list)]);
    keyMaterial.set(key, bytes);
    return key;
  },
  async exportKey(format, key) {
    if (!(key instanceof CryptoKey) || !keyMaterial.has(key)) throw new TypeError('key: expected a CryptoKey');
    if (!key.extractable) throw domException('the key is not extractable', 'InvalidAccessError');
    const material = keyMaterial.get(key);
    if (format === 'raw' && material instanceof Uint8Array) return toArrayBuffer(material);
    if (format === 'jwk' && !(material instanceof Uint8Array)) return { ...material.jwk, key_ops: key.usages, ext: true };
    throw domException(`key format '${format}' is not supported for this key`, 'NotSupportedError');
  },
  async sign(algorithm, key, data) {
    checkHmac(algorithm);
    const material = hmacKey(key, 'sign');
    return toArrayBuffer(native.hmac(key.algorithm.hash.name, material, bufferSource(data, 'sign')));
  },
  async verify(algorithm, key, signature, data) {
    const name = algorithmName(algorithm).toUpperCase();
    if (name === 'RSASSA-PKCS1-V1_5' || name === 'ECDSA') {
      if (!(key instanceof CryptoKey) || !keyMaterial.has(key)) throw new TypeError('key: expected a CryptoKey');
      if (key.algorithm.name.toUpperCase() !== name) throw domException('the key is for another algorithm', 'InvalidAccessError');
      if (!key.usages.includes('verify')) throw domException("the key's usages do not include 'verify'", 'InvalidAccessError');
      const hash = name === 'ECDSA' ? hashName(algorithm.hash ?? '') : key.algorithm.hash.name;
      const { kind, first, second } = keyMaterial.get(key);
      return native.verifySignature(kind, hash, first, second, bufferSource(signature, 'verify'), bufferSource(data, 'verify'));
    }
    checkHmac(algorithm);
    const material = hmacKey(key, 'verify');
    const expected = native.hmac(key.algorithm.hash.name, material, bufferSource(data, 'verify'));
    const given = copyOf(bufferSource(signature, 'verify'));
    return given.length === expected.length && native.timingSafeEqual(given, expected);
  },
};
Object.freeze(subtle);
cryptoObject.subtle = subtle;
define('crypto', cryptoObject);
define('CryptoKey', CryptoKey);

// --- structured clone, microtasks, timers --------------------------------------------------------
define('structuredClone', function structuredClone(value, options) {
  if (options?.transfer?.length) throw new TypeError('structuredClone: transfer is not supported');
  return native.structuredClone(value);
});
define('queueMicrotask', function queueMicrotask(callback) {
  if (typeof callback !== 'function') throw new TypeError('queueMicrotask: callback must be a function');
  native.queueMicrotask(callback);
});
define('setTimeout', function setTimeout(callback, delay = 0, ...args) {
  if (typeof callback !== 'function') throw new TypeError('setTimeout: callback must be a function (strings are not evaluated)');
  const ms = Math.max(0, Math.min(Number(delay) || 0, 2 ** 31 - 1));
  return native.setTimeout(args.length ? () => callback(...args) : callback, ms);
});
define('clearTimeout', function clearTimeout(id) {
  if (typeof id === 'number') native.clearTimeout(id);
});
