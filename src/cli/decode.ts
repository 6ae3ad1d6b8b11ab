/**
 * `dit decode --weights VAE.safetensors --config VAE_CONFIG.json --inputs IO.safetensors --output OUT.safetensors
 *             [--tile N] [--intermediates]`
 * Reads `z` (B, latent_channels, h, w), already divided by the scaling factor; writes F32 `sample`
 * (B, out_channels, h·f, w·f), f = 2^(up blocks − 1), and with --intermediates every stage the
 * fixtures name. --tile N decodes in bands of N latent rows (2N, 4N, ... at the upsampled levels).
 */
import type { BrowserHost } from '../host/browser-host.ts';
import { parseVaeConfig } from '../model/vae-config.ts';
import { numberOption, parseArgs, required, UsageError } from './args.ts';
import { checkFinite, checkOutputPath, readJson, readSafetensors, writeTensors } from './files.ts';

export const DECODE_OPTIONS = { values: ['weights', 'config', 'inputs', 'output', 'tile', 'chromium'], flags: ['intermediates', 'quiet', 'verbose'] };

export async function decodeCommand(argv: string[], startHost: () => Promise<BrowserHost>): Promise<void> {
  const a = parseArgs(argv, DECODE_OPTIONS);
  const weightsPath = required(a, 'weights');
  const output = required(a, 'output');
  checkOutputPath(output);
  const tile = numberOption(a, 'tile');
  if (tile !== undefined && (!Number.isInteger(tile) || tile < 1)) throw new UsageError(`--tile must be a positive integer (latent rows per band), got ${a.values.get('tile')}`);
  const config = parseVaeConfig(readJson(required(a, 'config'), 'config'));
  const io = readSafetensors(required(a, 'inputs'), 'inputs');
  if (!io.has('z')) throw new Error('inputs file has no tensor "z"');
  const z = { shape: io.entry('z').shape, data: io.float32('z') };
  checkFinite('inputs z', z.data);
  if (z.shape.length !== 4 || z.shape[1] !== config.latent_channels || z.shape.some((d) => d < 1)) {
    throw new Error(`z has shape [${z.shape}], expected [B, ${config.latent_channels}, h, w] for this VAE config`);
  }
  readSafetensors(weightsPath, 'weights'); // validate the header before starting the browser

  const host = await startHost();
  try {
    const id = await host.api.engine.loadVae(host.serveFile(weightsPath), config);
    const result = await host.api.engine.vaeDecode(id, z, {
      tileRows: tile, intermediates: a.flags.has('intermediates'),
    });
    writeTensors(output, result);
  } finally {
    await host.close();
  }
}
