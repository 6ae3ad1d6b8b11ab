/**
 * The kept Chromium profile of the command line: the autotune's choices saved by one run are found
 * by the next (same folder, same origin), and a second host on a profile in use still starts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrowserHost, profilePort } from '../../src/host/browser-host.ts';

describe('a kept Chromium profile', () => {
  const profileDir = join(mkdtempSync(join(tmpdir(), 'dit-profile-')), 'chromium-profile');

  it('keeps the autotune choices from one run to the next', async () => {
    const first = await BrowserHost.start({ profileDir });
    try {
      expect(new URL(first.origin).port).toBe(String(profilePort(profileDir)));
      expect(await first.api.engine.savedKernelChoices()).toBeNull();
      await first.api.engine.load({ kind: 'builtin' });
      expect(await first.api.engine.savedKernelChoices()).not.toBeNull();
    } finally {
      await first.close();
    }
    const second = await BrowserHost.start({ profileDir });
    try {
      const saved = await second.api.engine.savedKernelChoices();
      expect(saved).not.toBeNull();
      expect(Object.keys(saved!.matmul).length).toBeGreaterThan(0);
    } finally {
      await second.close();
    }
  });

  it('a second host while the profile is in use starts with a throwaway one', async () => {
    const first = await BrowserHost.start({ profileDir });
    try {
      const second = await BrowserHost.start({ profileDir });
      try {
        expect(second.origin).not.toBe(first.origin);
        expect((await second.api.engine.init()).features.length).toBeGreaterThan(0);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });
});
