/** `dit schedule` through the real command line, against the reference's schedules.json. */
import { describe, expect, it } from 'vitest';
import { relativeError } from '../support/compare.ts';
import { runCli } from '../support/cli.ts';
import { loadJson } from '../support/fixtures.ts';

const reference = loadJson('dit/schedules.json') as Record<string, Record<string, number[]>>;
const ARRAYS = ['betas', 'alphas_cumprod', 'alphas_cumprod_prev', 'posterior_variance', 'posterior_log_variance_clipped',
  'posterior_mean_coef1', 'posterior_mean_coef2', 'sqrt_recip_alphas_cumprod', 'sqrt_recipm1_alphas_cumprod'];

describe('dit schedule', () => {
  for (const respacing of ['250', 'ddim25']) {
    it(`prints the "${respacing}" schedule as one JSON object matching the reference`, async () => {
      const r = await runCli(['schedule', '--respacing', respacing]);
      expect(r.code).toBe(0);
      const got = JSON.parse(r.stdout) as Record<string, number[]>;
      const want = reference[respacing];
      expect(got.timestep_map).toEqual(want.timestep_map);
      for (const name of ARRAYS) expect(relativeError(got[name], want[name]), name).toBeLessThan(1e-9);
    }, 30_000);
  }

  it('rejects a malformed respacing with one line on stderr', async () => {
    const r = await runCli(['schedule', '--respacing', 'ddim0']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 30_000);
});
