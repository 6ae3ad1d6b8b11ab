/** The host's extra static folders: served to the page, cross-origin isolated, nothing else. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserHost } from '../../src/host/browser-host.ts';

const PAGE = '<!doctype html><title>static</title>';

describe('BrowserHost static routes', () => {
  let host: BrowserHost;
  const dir = mkdtempSync(join(tmpdir(), 'dit-static-'));
  beforeAll(async () => {
    writeFileSync(join(dir, 'hello.mjs'), 'export const hello = 42;');
    writeFileSync(join(dir, 'page.html'), PAGE);
    host = await BrowserHost.start({ staticRoutes: { '/static/': dir } });
  });
  afterAll(async () => {
    await host?.close();
  });

  it('lets the page import a module from a static folder', async () => {
    // A string, so that the test runner does not rewrite the dynamic import.
    const value = await host.page.evaluate('import("/static/hello.mjs").then((m) => m.hello)');
    expect(value).toBe(42);
    const missing = await host.page.evaluate(async () => (await fetch('/static/nope.js')).status);
    expect(missing).toBe(404);
  });

  it('answers Range requests with the bytes asked for (the engine reads big files tensor by tensor)', async () => {
    const got = await host.page.evaluate(async () => {
      const res = await fetch('/static/page.html', { headers: { Range: 'bytes=2-8' } });
      return { status: res.status, range: res.headers.get('content-range'), body: await res.text() };
    });
    expect(got).toEqual({ status: 206, range: `bytes 2-8/${PAGE.length}`, body: PAGE.slice(2, 9) });
  });

  it('serves its pages cross-origin isolated', async () => {
    const page = await host.newPage();
    await page.goto(`${host.origin}/static/page.html`);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.close();
  });
});
