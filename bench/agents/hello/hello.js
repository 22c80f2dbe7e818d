// Benchmark handler: the smallest useful agent. bench/bare_server (native C++)
// and bench/deno/hello.js return the same status, content-type and body, so
// the throughput difference between them is the cost of the JS layer.
export default async function handler(ctx) {
  return {
    status: 200,
    headers: { 'content-type': 'text/plain' },
    body: 'Hello, world!\n',
  };
}
