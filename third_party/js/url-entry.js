// Entry point bundled by esbuild into the isolate start-up code: the WHATWG URL Standard's
// reference implementation provides URL and URLSearchParams.
import { URL, URLSearchParams } from 'whatwg-url';

Object.defineProperty(globalThis, 'URL', { value: URL, writable: true, configurable: true });
Object.defineProperty(globalThis, 'URLSearchParams', { value: URLSearchParams, writable: true, configurable: true });
