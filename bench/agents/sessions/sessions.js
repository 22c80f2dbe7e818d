// Benchmark handlers for the session workload (bench/run.sh, targets w3 and w4): what a login flow
// does on every request. The cookie holds only an opaque session id; ctx.kv holds the session.
//   GET  /read/        (W3) reads the session named by the cookie; 401 without a valid one
//   POST /write/       (W4) creates a session with an 8 h TTL and sets its cookie
//   POST /seed/?from=A&to=B  writes sessions bench-session-A .. B-1 (the W3 data set)
// and, to take the read apart step by step (bench/handler_cost):
//   GET  /greet/       the same greeting with no cookie and no kv: the hello of this agent
//   GET  /cookie/      finds the session id in the cookie, greets it, reads nothing
//   GET  /read-nostore/, POST /write-nostore/   the read and the write on a stand-in store that
//                      answers at once and keeps nothing (targets w3-nostore, w4-nostore): what w3
//                      and w4 would score if ctx.kv cost nothing, the ceiling of their ratios
const cookieName = (ctx) => `agt_${ctx.auth.agentId}_sid`;

const sessionId = (ctx) => {
  const name = cookieName(ctx) + '=';
  for (const part of (ctx.request.headers.cookie ?? '').split('; ')) {
    if (part.startsWith(name)) return part.slice(name.length);
  }
  return null;
};

const sessionKey = (id) => `session:${id}`;

// The stand-in store of the *-nostore functions. Its get answers as the seeded data set would (a
// fresh object of a session's shape for bench-session-<i>, null otherwise), without storage,
// serialization or a native call; its put keeps nothing.
const seededKey = 'session:bench-session-';
const noStore = {
  get: async ({ key }) =>
    key.startsWith(seededKey) ? { user: `user-${key.slice(seededKey.length)}`, created: new Date(0), roles: ['reader'], csrf: key } : null,
  put: async () => undefined,
};

const storeOf = (ctx, fn) => (fn.endsWith('-nostore') ? noStore : ctx.kv);

const newSession = (user) => ({ user, created: new Date(), roles: ['reader'], csrf: crypto.randomUUID() });

export default async function handler(ctx) {
  const self = ctx.auth.agentId;
  const fn = ctx.metadata.functionName;
  if (fn === 'read' || fn === 'read-nostore') {
    const id = sessionId(ctx);
    const session = id && (await storeOf(ctx, fn).get({ user_id: self, key: sessionKey(id) }));
    if (!session) return { status: 401, body: 'no session\n' };
    return { headers: { 'content-type': 'text/plain' }, body: `Hello, ${session.user}!\n` };
  }
  if (fn === 'greet') return { headers: { 'content-type': 'text/plain' }, body: 'Hello, user-1!\n' };
  if (fn === 'cookie') return { headers: { 'content-type': 'text/plain' }, body: `Hello, ${sessionId(ctx)}!\n` };
  if (fn === 'write' || fn === 'write-nostore') {
    const id = crypto.randomUUID();
    await storeOf(ctx, fn).put({ user_id: self, key: sessionKey(id), value: newSession(`user-${id.slice(0, 8)}`), ttlSeconds: 8 * 3600 });
    return {
      headers: {
        'content-type': 'text/plain',
        'set-cookie': `${cookieName(ctx)}=${id}; Path=${ctx.metadata.basePath}/; HttpOnly; Secure; SameSite=Lax; Max-Age=28800`,
      },
      body: 'signed in\n',
    };
  }
  if (fn === 'seed') {
    const query = new URL(ctx.request.url).searchParams;
    const from = Number(query.get('from'));
    const to = Number(query.get('to'));
    const writes = [];
    for (let i = from; i < to; i++) {
      writes.push(ctx.kv.put({ user_id: self, key: sessionKey(`bench-session-${i}`), value: newSession(`user-${i}`),
                               ttlSeconds: 8 * 3600 }));
    }
    await Promise.all(writes);
    return { body: { written: to - from } };
  }
  return { status: 404, body: 'not found\n' };
}
