// Benchmark handler (bench/run.sh, target fetch): one outbound fetch per request, to the URL in
// ?u= (a bare_server on loopback, admitted with --egress-allow), its body relayed to the visitor.
export default async function handler(ctx) {
  const upstream = new URL(ctx.request.url).searchParams.get('u');
  const response = await fetch(upstream);
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: await response.text() };
}
