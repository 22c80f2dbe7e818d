// Deno baseline for the agentgate benchmark: same response as
// bench/agents/hello/hello.js, served by Deno.serve on loopback.
//
//   deno run --allow-net --allow-env [--unstable-net] deno/hello.js [PORT] [--reuse-port]
//
// (--reuse-port needs --unstable-net: reusePort is an unstable Deno API.)
//
// PORT comes from argv[0], else $PORT, else 0 (ephemeral). One Deno process
// runs JS on a single thread; run.sh starts one process per worker with
// --reuse-port (SO_REUSEPORT, Linux) so the kernel spreads connections across
// them, the same way `deno serve --parallel` does.
// Prints "deno listening on http://127.0.0.1:PORT" once bound (run.sh waits
// for that line to learn the real port).

import { serveBench } from './serve.js';

const args = Deno.args.filter((a) => !a.startsWith('--'));
const reusePort = Deno.args.includes('--reuse-port');
const port = Number(args[0] ?? Deno.env.get('PORT') ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`bad port: ${args[0] ?? Deno.env.get('PORT')}`);
  Deno.exit(2);
}

const BODY = 'Hello, world!\n';

serveBench(port, reusePort, () => new Response(BODY, { status: 200, headers: { 'content-type': 'text/plain' } }));
