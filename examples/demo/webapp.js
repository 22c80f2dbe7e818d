// The demo agent: a page that shows what a handler receives, a form that posts back, and an
// await that does not block other visitors.
import { escapeHtml } from './lib/html.js';

export default async function handler(ctx) {
  const url = new URL(ctx.request.url);
  if (url.pathname.endsWith('/api/time')) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { body: { now: new Date().toISOString(), requestId: ctx.metadata.requestId } };
  }
  let greeting = '';
  if (ctx.request.method === 'POST') {
    const form = new URLSearchParams(ctx.request.body);
    greeting = `<p>Hello, ${escapeHtml(form.get('name') || 'stranger')}!</p>`;
  }
  const base = `${ctx.metadata.basePath}/webapp`;
  return {
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<!doctype html>
<title>agentgate demo</title>
<h1>agentgate demo agent</h1>
${greeting}
<form method="post" action="${base}/"><label>Your name <input name="name"></label> <button>Say hello</button></form>
<p><a href="${base}/api/time">JSON endpoint</a> (awaits a 50 ms timer)</p>
<h2>ctx.metadata</h2><pre>${escapeHtml(JSON.stringify(ctx.metadata, null, 2))}</pre>
<h2>ctx.request</h2><pre>${escapeHtml(JSON.stringify({ url: ctx.request.url, method: ctx.request.method, headers: ctx.request.headers }, null, 2))}</pre>
<p>Request id ${escapeHtml(ctx.metadata.requestId)} · random id ${crypto.randomUUID()}</p>`,
  };
}
