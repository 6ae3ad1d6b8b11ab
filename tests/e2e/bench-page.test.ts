/**
 * The built app's benchmark page (bench.html, linked from the studio's footer) on the real engine
 * in headless Chromium: it runs the quick entries of `npm run bench` on this adapter, shows the
 * adapter and a table, and offers a JSON file that reads as the command line's does (the same
 * parser, the same entries and fields as `npm run bench -- --quick --no-peer --json FILE` made
 * beside it).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type BenchReport, parseBenchReport } from '../../src/engine/bench/report.ts';
import { ARTIFACTS, shot, studioForFile, waitForEngine } from './studio.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const QUICK_ENTRIES = ['dit-tiny-forward-b2', 'dit-tiny-cfg-step', 'layernorm-modulate-s2-b2'];

/** `npm run bench -- --quick --no-peer --json FILE`, run beside the page: its report. */
function commandLineReport(): Promise<BenchReport> {
  const out = join(mkdtempSync(join(tmpdir(), 'dit-bench-cli-')), 'quick.json');
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/bench.mjs', '--quick', '--no-peer', '--json', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(parseBenchReport(readFileSync(out, 'utf8'))) : reject(new Error(`npm run bench exited ${code}: ${err.slice(-2000)}`))));
  });
}

const shared = studioForFile('/');

describe('the benchmark page', () => {
  it('is linked from the studio, runs the quick entries, shows the table and offers the command line\'s JSON', async () => {
    const { page, errors } = shared.studio;
    await waitForEngine(page);
    await page.getByTestId('bench-link').click();
    await page.waitForURL(/\/bench\.html$/);
    await page.getByTestId('bench-status').getByText('Ready.').waitFor();
    await shot(page, 'bench-01-ready');

    // The command line's quick run, one at a time with the page's (2 cores).
    const cli = await commandLineReport();

    await page.getByTestId('bench-run').click();
    await page.getByTestId('bench-status').getByText(/^Running: /).waitFor();
    await page.getByTestId('bench-table').waitFor({ timeout: 240_000 });
    await shot(page, 'bench-02-results');

    const rows = await page.locator('[data-testid="bench-table"] tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows.map((r) => r[0])).toEqual(QUICK_ENTRIES);
    for (const r of rows) {
      expect(Number(r[1].replace(/,/g, ''))).toBeGreaterThan(0); // ours ms
      expect(r.slice(2, 4)).toEqual(['–', '–']); // no peer in the page
    }
    const adapter = (await page.getByTestId('bench-adapter').textContent()) ?? '';
    expect(adapter).toMatch(/swiftshader/i);
    expect(adapter).toContain('maxStorageBufferBindingSize');
    expect(await page.getByTestId('bench-choices').textContent()).toContain('matmul');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('bench-json').click()]);
    expect(download.suggestedFilename()).toBe('dit-bench-quick.json');
    const path = await download.path();
    mkdirSync(ARTIFACTS, { recursive: true });
    copyFileSync(path, join(ARTIFACTS, 'bench-03-quick.json'));
    const report = parseBenchReport(readFileSync(path, 'utf8'));

    // The same report as the command line's: top-level fields, entries, and each entry's fields.
    expect(Object.keys(report).sort()).toEqual(Object.keys(cli).sort());
    expect(report.mode).toBe('quick');
    expect(report.adapter).toEqual(cli.adapter);
    expect(report.entries.map((e) => e.name)).toEqual(cli.entries.map((e) => e.name));
    report.entries.forEach((e, i) => {
      expect(Object.keys(e).sort()).toEqual(Object.keys(cli.entries[i]).sort());
      expect(e.ours_ms).toBeGreaterThan(0);
      expect([e.ort_webgpu_ms, e.ort_wasm_ms]).toEqual([null, null]);
      // SwiftShader offers timestamp queries: every entry has its GPU-only rate.
      expect(e.gpu_gflops).toBeGreaterThan(0);
      expect(cli.entries[i].gpu_gflops).toBeGreaterThan(0);
    });
    expect(errors).toEqual([]);
  }, 480_000);
});
