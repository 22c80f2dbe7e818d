#!/usr/bin/env node
// Prints the JSON body for `POST /_admin/v1/agents` that deploys a copy of the
// bench hello agent under a new id and slug:
//
//   node lib/deploy_body.js <agent-uuid> <slug>
//   -> {"files": {"agent.json": "<text>", "hello.js": "<source>"}}
//
// run.sh uses it for the cold-start and memory measurements, which need many
// distinct, never-seen-before agents. Done in JS rather than shell because the
// file texts must be JSON-escaped.
'use strict';
const fs = require('fs');
const path = require('path');

const [id, slug] = process.argv.slice(2);
if (!id || !slug) {
  console.error('usage: deploy_body.js <agent-uuid> <slug>');
  process.exit(2);
}

const dir = path.join(__dirname, '..', 'agents', 'hello');
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'agent.json'), 'utf8'));
manifest.id = id;
manifest.slug = slug;

const files = { 'agent.json': JSON.stringify(manifest, null, 2) + '\n' };
for (const fn of manifest.functions) {
  files[fn.module] = fs.readFileSync(path.join(dir, fn.module), 'utf8');
}
process.stdout.write(JSON.stringify({ files }));
