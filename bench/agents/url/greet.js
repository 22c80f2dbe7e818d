// Benchmark handler (bench/run.sh, target url): hello, with the name read from the request's own
// query string the standard way, so the difference from hello is one URL and URLSearchParams parse.
export default async function handler(ctx) {
  const name = new URL(ctx.request.url).searchParams.get('name');
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: `Hello, ${name}!\n` };
}
