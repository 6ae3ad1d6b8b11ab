#!/usr/bin/env node
/**
 * Extracts the 1000 ImageNet class names into src/data/imagenet-classes.json.
 *
 * The names come from the npm package @tensorflow-models/mobilenet (file dist/imagenet_classes.js),
 * which is NOT a dependency of this project. Run once:
 *
 *   cd /tmp && npm pack @tensorflow-models/mobilenet && tar xzf tensorflow-models-mobilenet-*.tgz
 *   node tools/extract-imagenet-classes.mjs /tmp/package/dist/imagenet_classes.js
 *
 * The file is CommonJS (`exports.IMAGENET_CLASSES = { 0: '...', ... }`); it is evaluated in an
 * isolated vm context with only an `exports` object, never `require`d.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const src = process.argv[2];
if (!src) {
  console.error('usage: node tools/extract-imagenet-classes.mjs <path/to/imagenet_classes.js> [out.json]');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[3] ?? resolve(here, '../src/data/imagenet-classes.json');

const sandbox = { exports: {} };
vm.runInNewContext(readFileSync(src, 'utf8'), sandbox, { filename: src, timeout: 1000 });
const table = sandbox.exports.IMAGENET_CLASSES;
if (!table || typeof table !== 'object') throw new Error('IMAGENET_CLASSES not found in ' + src);

const names = [];
for (let i = 0; i < 1000; i++) {
  const name = table[i];
  if (typeof name !== 'string' || !name.trim()) throw new Error(`class ${i} missing`);
  names.push(name.replace(/\s+/g, ' ').trim());
}
if (Object.keys(table).length !== 1000) throw new Error(`expected 1000 classes, got ${Object.keys(table).length}`);

// One name per line keeps diffs readable.
writeFileSync(out, '[\n' + names.map((n) => '  ' + JSON.stringify(n)).join(',\n') + '\n]\n');
console.log(`wrote ${names.length} class names to ${out}`);
