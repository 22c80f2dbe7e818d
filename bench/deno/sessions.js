// Deno reference for the session workload (bench/run.sh, target deno-kv): what
// bench/agents/sessions does for w3, on Deno.serve with Deno KV (SQLite) as the store.
// Same paths, cookie and session record as the agentgate agent, so wrk's script and
// run.sh's seeding and checks serve both:
//   GET  /agents/<id>/read/                 reads the session named by the cookie; 401 without one
//   POST /agents/<id>/seed/?from=A&to=B     writes sessions bench-session-A .. B-1
//
//   deno run --allow-net --allow-read --allow-write --allow-env --unstable-kv --unstable-net \
//     deno/sessions.js PORT AGENT_ID KV_PATH [--reuse-port]
//
// Several processes may share one KV_PATH (SQLite) and, with --reuse-port, one port: the same
// worker count as the other targets. Prints "deno listening on http://127.0.0.1:PORT" once bound.

import { serveBench } from './serve.js';

const args = Deno.args.filter((a) => !a.startsWith('--'));
const reusePort = Deno.args.includes('--reuse-port');
const [portArg, agentId, kvPath] = args;
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65535 || !agentId || !kvPath) {
  console.error('usage: sessions.js PORT AGENT_ID KV_PATH [--reuse-port]');
  Deno.exit(2);
}

const kv = await Deno.openKv(kvPath);
const base = `/agents/${agentId}`;
const cookiePrefix = `agt_${agentId}_sid=`;
const ttlMs = 8 * 3600 * 1000;

const sessionId = (request) => {
  for (const part of (request.headers.get('cookie') ?? '').split('; ')) {
    if (part.startsWith(cookiePrefix)) return part.slice(cookiePrefix.length);
  }
  return null;
};

const newSession = (user) => ({ user, created: new Date(), roles: ['reader'], csrf: crypto.randomUUID() });

async function seed(url) {
  const from = Number(url.searchParams.get('from'));
  const to = Number(url.searchParams.get('to'));
  // Deno KV caps an atomic operation's mutations; write in slices.
  for (let start = from; start < to; start += 500) {
    const op = kv.atomic();
    for (let i = start; i < Math.min(to, start + 500); i++) {
      op.set(['session', `bench-session-${i}`], newSession(`user-${i}`), { expireIn: ttlMs });
    }
    const result = await op.commit();
    if (!result.ok) return new Response('seeding failed\n', { status: 500 });
  }
  return Response.json({ written: to - from });
}

serveBench(port, reusePort, async (request) => {
  // The read path is recognised without parsing a URL: agentgate routes natively, so its
  // handler parses none either.
  if (request.method === 'GET' && request.url.endsWith(`${base}/read/`)) {
    const id = sessionId(request);
    const session = id && (await kv.get(['session', id])).value;
    if (!session) return new Response('no session\n', { status: 401 });
    return new Response(`Hello, ${session.user}!\n`, { headers: { 'content-type': 'text/plain' } });
  }
  const url = new URL(request.url);
  if (url.pathname === `${base}/seed/` && request.method === 'POST') return seed(url);
  return new Response('not found\n', { status: 404 });
});
