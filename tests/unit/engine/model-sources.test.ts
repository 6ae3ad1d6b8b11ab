/**
 * resolveModelFiles hands the weight loader's notices to its caller (the engine, then the app):
 * a Hub download whose bytes were damaged on the way is fetched again, and the caller is told.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveModelFiles } from '../../../src/engine/model-sources.ts';
import { MemoryStore } from '../../../src/weights/memory-store.ts';
import { TINY_REPO, tinyHubRepos } from '../../support/hub-fixtures.ts';
import { startHubServer, type HubServer } from '../../support/hub-server.ts';

const WEIGHTS = 'transformer/diffusion_pytorch_model.safetensors';

let hub: HubServer;
beforeAll(async () => {
  hub = await startHubServer({ repos: tinyHubRepos() });
});
afterAll(async () => {
  await hub?.close();
});

describe('resolveModelFiles', () => {
  it('passes on the notice of a Hub download damaged once and fetched again', async () => {
    hub.setFault(WEIGHTS, { corrupt: [{ at: 1000, bytes: 64 }], times: 1 });
    const notices: string[] = [];
    const files = await resolveModelFiles(
      { kind: 'hub', hubUrl: hub.url, repo: TINY_REPO, revision: 'refs/pr/1' },
      { builtinBase: 'http://unused/', store: new MemoryStore(), onNotice: (m) => notices.push(m) },
    );
    expect(files.config.num_classes).toBeGreaterThan(0);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`${TINY_REPO}/${WEIGHTS}: the download's sha256 is`);
  });
});
