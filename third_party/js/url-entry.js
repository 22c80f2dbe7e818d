// Entry point bundled by esbuild into the isolate start-up code: the WHATWG URL Standard's
// reference implementation provides URL and URLSearchParams.
//
// Its parser is exact but slow (a hundred microseconds per URL, one TextEncoder call per code
// point), so whole-URL parses go to ada instead (native.urlParse, sandbox/url_binding.cc): the
// parser Node.js uses, carried by Debian's libnode. The result is turned into the reference
// implementation's own URL record, so the classes, their setters and the serializers stay the
// reference's. Parses that continue an existing record (the setters' state overrides) and
// non-UTF-8 encodings stay with the reference parser, and so does every input where the ada that
// libnode carries is known to answer otherwise than the reference (whatwg-url 14.2): non-ASCII
// input (its IDNA mapping is older: "ẞ.de"), punycode hosts, opaque paths with a space (the
// standard now encodes one before "?" or "#") and paths with a "^" (which the standard now
// percent-encodes in paths). Inputs over 1 Mi UTF-16 units also stay in JS, where
// the isolate's heap limit bounds them.
import { URL, URLSearchParams } from 'whatwg-url';
import usm from 'whatwg-url/lib/url-state-machine.js';
import urlencoded from 'whatwg-url/lib/urlencoded.js';
import conversions from 'webidl-conversions';

const referenceParse = usm.basicURLParse;

// "1.2.3.4" -> the 32-bit number the reference record holds for an IPv4 host.
const ipv4Number = (text) => text.split('.').reduce((number, part) => number * 256 + Number(part), 0);

// "[2001:db8::1]" (ada's serialization: hex pieces, one "::" at most) -> the record's eight pieces.
const ipv6Pieces = (text) => {
  const inner = text.slice(1, -1);
  const gap = inner.indexOf('::');
  const split = (part) => (part === '' ? [] : part.split(':'));
  const head = split(gap === -1 ? inner : inner.slice(0, gap));
  const tail = gap === -1 ? [] : split(inner.slice(gap + 2));
  const zeros = new Array(8 - head.length - tail.length).fill('0');
  return [...head, ...zeros, ...tail].map((piece) => parseInt(piece, 16));
};

const hostOf = (host, kind) => (host === null ? null : kind === 1 ? ipv4Number(host) : kind === 2 ? ipv6Pieces(host) : host);

// A path is opaque ("mailto:x") when there is no host and it does not start with "/"; otherwise it
// is a list of segments ("/a/b" -> ["a", "b"]; "" with a host -> []).
const pathOf = (pathname, host) => {
  if (host === null && !pathname.startsWith('/')) return pathname;
  return pathname === '' ? [] : pathname.slice(1).split('/');
};

const kNativeMaxUnits = 1 << 20;  // sandbox/url_binding.cc refuses more
const nonAscii = /[^\x00-\x7f]/;

usm.basicURLParse = function basicURLParse(input, options) {
  if (options !== undefined &&
      (options.url !== undefined || options.stateOverride !== undefined ||
       (options.encodingOverride !== undefined && options.encodingOverride !== 'utf-8'))) {
    return referenceParse(input, options);
  }
  const base = options !== undefined && options.baseURL ? usm.serializeURL(options.baseURL) : undefined;
  if (input.length + (base === undefined ? 0 : base.length) > kNativeMaxUnits || nonAscii.test(input)) {
    return referenceParse(input, options);
  }
  const parts = native.urlParse(input, base);
  if (parts === null) return null;
  const [scheme, username, password, host, hostKind, port, pathname, query, fragment] = parts;
  const path = pathOf(pathname, host);
  if ((host !== null && host.includes('xn--')) || (typeof path === 'string' && path.includes(' ')) ||
      pathname.includes('^')) {
    return referenceParse(input, options);
  }
  return { scheme, username, password, host: hostOf(host, hostKind), port, path, query, fragment };
};

// The same for the other per-character loops every URL or URLSearchParams goes through: strings
// without surrogates (nearly all) take the engine's own string functions, whose results the
// standard's algorithms would produce; anything else takes the reference path unchanged.
const hasSurrogate = /[\uD800-\uDFFF]/;

// USVString conversion: the reference builds the string again one code point at a time.
const referenceUSVString = conversions.USVString;
conversions.USVString = (value, options) => {
  const text = conversions.DOMString(value, options);
  return hasSurrogate.test(text) ? referenceUSVString(text, options) : text;
};

// application/x-www-form-urlencoded parsing: "+" is a space, then percent-decoding and UTF-8
// decoding, which decodeURIComponent does at once for well-formed input. It throws on what it
// cannot decode (a stray "%", invalid UTF-8): that input takes the reference parser.
const referenceParseQuery = urlencoded.parseUrlencodedString;
urlencoded.parseUrlencodedString = (input) => {
  if (hasSurrogate.test(input)) return referenceParseQuery(input);
  const decode = (part) => decodeURIComponent(part.includes('+') ? part.replaceAll('+', ' ') : part);
  const output = [];
  try {
    for (const sequence of input.split('&')) {
      if (sequence === '') continue;
      const equals = sequence.indexOf('=');
      output.push(equals === -1 ? [decode(sequence), ''] : [decode(sequence.slice(0, equals)), decode(sequence.slice(equals + 1))]);
    }
  } catch {
    return referenceParseQuery(input);
  }
  return output;
};

// ... and serializing: encodeURIComponent leaves !'()~ alone and writes a space as %20, where the
// form encoding escapes those and writes "+".
const formEscape = (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
const formEncode = (text) => encodeURIComponent(text).replace(/[!'()~]/g, formEscape).replaceAll('%20', '+');
const referenceSerializeQuery = urlencoded.serializeUrlencoded;
urlencoded.serializeUrlencoded = (tuples) => {
  if (tuples.some(([name, value]) => hasSurrogate.test(name) || hasSurrogate.test(value))) {
    return referenceSerializeQuery(tuples);
  }
  return tuples.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join('&');
};

Object.defineProperty(globalThis, 'URL', { value: URL, writable: true, configurable: true });
Object.defineProperty(globalThis, 'URLSearchParams', { value: URLSearchParams, writable: true, configurable: true });
