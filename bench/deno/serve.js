// What the Deno servers of bench/run.sh share: serve `handler` on 127.0.0.1:port, print the line
// run.sh waits for ("deno listening on http://127.0.0.1:PORT"), and exit promptly on SIGTERM
// (run.sh's cleanup) instead of Deno's default graceful drain.
export function serveBench(port, reusePort, handler) {
  Deno.serve(
    {
      hostname: '127.0.0.1',
      port,
      reusePort,
      onListen({ hostname, port }) {
        console.log(`deno listening on http://${hostname}:${port}`);
      },
    },
    handler,
  );
  Deno.addSignalListener('SIGTERM', () => Deno.exit(0));
}
