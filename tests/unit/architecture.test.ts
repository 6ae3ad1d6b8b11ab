/**
 * The import graph of src/ (../shared/STYLE.md): no file imports another in a circle, and a
 * folder imports only from the folders above it in
 *   shaders/ (above all), data, gpu, weights, model, sampling, engine, worker, host, app, cli.
 * A file belongs to the first folder under src/ on its path (src/app/components/X.tsx is app);
 * files directly in src/ (main.tsx) are entry points: they may import any folder, none may import them.
 *
 * Edges counted: every relative module specifier in static `import … from` (types included),
 * `export … from`, side-effect `import '…'` and `import(…)`, and worker entries
 * `new URL('…', import.meta.url)`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

const LAYERS = ['data', 'gpu', 'weights', 'model', 'sampling', 'engine', 'worker', 'host', 'app', 'cli'] as const;

/**
 * Layer-rule violations tolerated for now, each an exact edge "importer -> imported" (paths
 * relative to src/, a comment saying why and who removes it). None today. A violation not listed
 * fails the test; a listed edge that no longer exists must be removed (the test says so).
 */
const KNOWN_LAYER_VIOLATIONS: readonly string[] = [];

/** Relative to the repository root, with forward slashes. */
const rel = (abs: string): string => relative(ROOT, abs).split(sep).join('/');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** A specifier resolved as Vite and tsc resolve it: as written, or with .ts / .tsx / index. */
function resolveSpecifier(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const p of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')]) {
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return existsSync(base) ? base : null; // a folder (a worker directory), or null: unresolved
}

/** The relative specifiers a file imports. */
function specifiers(text: string): string[] {
  const out = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  for (const m of text.matchAll(/new\s+URL\(\s*(['"`])([^'"`$]+)\1\s*,\s*import\.meta\.url\s*\)/g)) out.push(m[2]);
  return out.filter((s) => s.startsWith('./') || s.startsWith('../'));
}

interface Graph {
  /** file → the files and folders it imports (absolute paths). */
  edges: Map<string, string[]>;
  unresolved: string[];
}

function importGraph(): Graph {
  const edges = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const targets: string[] = [];
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const target = resolveSpecifier(file, spec);
      if (target) targets.push(target);
      else unresolved.push(`${rel(file)}: ${spec}`);
    }
    edges.set(file, [...new Set(targets)]);
  }
  return { edges, unresolved };
}

/** Every cycle found by a depth-first search, each as a path that returns to its first file. */
function findCycles(edges: Map<string, string[]>): string[][] {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 'active');
    stack.push(f);
    for (const t of edges.get(f) ?? []) {
      if (!edges.has(t)) continue; // not a source file (a shader, a folder)
      if (state.get(t) === 'active') cycles.push([...stack.slice(stack.indexOf(t)), t]);
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...edges.keys()].sort()) if (!state.has(f)) visit(f);
  return cycles;
}

/** The layer of a path: an index into LAYERS, -1 for shaders/ (above all), 'entry' for files directly in src/, null outside. */
function layerOf(abs: string): number | 'entry' | null {
  const r = rel(abs);
  if (r.startsWith('shaders/')) return -1;
  if (!r.startsWith('src/')) return null;
  const parts = r.split('/');
  if (parts.length === 2 && !statSync(abs).isDirectory()) return 'entry';
  const i = LAYERS.indexOf(parts[1] as (typeof LAYERS)[number]);
  if (i < 0) throw new Error(`src/${parts[1]} is in no layer: add it to LAYERS (and STYLE.md)`);
  return i;
}

function layerViolations(edges: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [file, targets] of edges) {
    const from = layerOf(file);
    for (const t of targets) {
      const to = layerOf(t);
      const ok = to === null || to === -1 || from === 'entry' || (to !== 'entry' && from !== null && to <= from);
      if (!ok) out.push(`${rel(file).slice(4)} -> ${rel(t).slice(4)}`);
    }
  }
  return out.sort();
}

describe('the import graph of src/', () => {
  const { edges, unresolved } = importGraph();

  it('resolves every relative import', () => {
    expect(edges.size).toBeGreaterThan(50);
    expect(unresolved).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles = findCycles(edges).map((c) => c.map((f) => rel(f).slice(4)).join(' -> '));
    expect(cycles, `import cycles:\n${cycles.join('\n')}`).toEqual([]);
  });

  it('imports only from folders above (data, gpu, weights, model, sampling, engine, worker, host, app, cli), apart from the known edges', () => {
    const found = layerViolations(edges);
    const fresh = found.filter((e) => !KNOWN_LAYER_VIOLATIONS.includes(e));
    const gone = KNOWN_LAYER_VIOLATIONS.filter((e) => !found.includes(e));
    expect(fresh, `new imports from a folder below:\n${fresh.join('\n')}`).toEqual([]);
    expect(gone, `no longer violations: remove from KNOWN_LAYER_VIOLATIONS:\n${gone.join('\n')}`).toEqual([]);
  });
});
