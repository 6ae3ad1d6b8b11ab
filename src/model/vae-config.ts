/**
 * The VAE's configuration, in the fields of diffusers' `AutoencoderKL` (`vae/config.json`); only
 * what the decoder needs. Defaults are diffusers' except block_out_channels, which must be given
 * (a config without it is almost certainly not a VAE config).
 */

export interface VaeConfig {
  block_out_channels: number[];
  layers_per_block: number;
  norm_num_groups: number;
  latent_channels: number;
  out_channels: number;
  /** Diffusion latents are z · scaling_factor; decode takes z. */
  scaling_factor: number;
}

export const DEFAULT_SCALING_FACTOR = 0.18215;

/** R = reversed(block_out_channels): the width of up_blocks.i is R[i]. */
export const upBlockChannels = (c: VaeConfig): number[] => [...c.block_out_channels].reverse();
export const numUpBlocks = (c: VaeConfig): number => c.block_out_channels.length;
/** Image pixels per latent pixel along each side: one nearest-2x per up block but the last. */
export const upscaleFactor = (c: VaeConfig): number => 2 ** (numUpBlocks(c) - 1);
export const resnetsPerUpBlock = (c: VaeConfig): number => c.layers_per_block + 1;

/** Names of the stages a decode can return besides `sample`, in order (the fixtures' io names). */
export const vaeIntermediateNames = (c: VaeConfig): string[] => [
  'after_post_quant_conv', 'after_conv_in', 'after_mid_resnet_0', 'after_mid_attention', 'after_mid_block',
  ...Array.from({ length: numUpBlocks(c) }, (_, i) => `after_up_block_${i}`), 'after_conv_act',
];

/**
 * Channel widths present at resolution level L (L = 0: latent; up block i runs at level i and its
 * upsampler writes level i + 1): level 0 holds the latent and R0, level L ≥ 1 holds R[L-1] and R[L].
 */
export function levelChannels(c: VaeConfig, level: number): number[] {
  const R = upBlockChannels(c);
  return level === 0 ? [c.latent_channels, R[0]] : [R[level - 1], R[level]];
}

/** Checks a parsed config.json and fills defaults; throws a message naming the bad or unsupported field. */
export function parseVaeConfig(raw: unknown): VaeConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('VAE config is not a JSON object');
  const r = raw as Record<string, unknown>;
  const fail = (msg: string): never => { throw new Error(`VAE config: ${msg}`); };
  const int = (k: string, fallback: number, min: number): number => {
    const v = r[k] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(`"${k}" must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  if (r._class_name !== undefined && r._class_name !== 'AutoencoderKL') fail(`only AutoencoderKL is supported, got "${String(r._class_name)}"`);
  const boc = r.block_out_channels;
  if (!Array.isArray(boc) || boc.length === 0 || !boc.every((v) => Number.isInteger(v) && v > 0)) {
    fail(`"block_out_channels" must be a non-empty list of positive integers, got ${JSON.stringify(boc)}`);
  }
  const c: VaeConfig = {
    block_out_channels: [...(boc as number[])],
    layers_per_block: int('layers_per_block', 1, 0),
    norm_num_groups: int('norm_num_groups', 32, 1),
    latent_channels: int('latent_channels', 4, 1),
    out_channels: int('out_channels', 3, 1),
    scaling_factor: DEFAULT_SCALING_FACTOR,
  };
  if (r.scaling_factor !== undefined) {
    if (typeof r.scaling_factor !== 'number' || !(r.scaling_factor > 0)) fail(`"scaling_factor" must be a positive number, got ${JSON.stringify(r.scaling_factor)}`);
    c.scaling_factor = r.scaling_factor as number;
  }
  for (const ch of c.block_out_channels) {
    if (ch % c.norm_num_groups) fail(`block_out_channels entry ${ch} is not divisible by norm_num_groups ${c.norm_num_groups}`);
  }
  if (r.act_fn !== undefined && r.act_fn !== 'silu') fail(`act_fn "${String(r.act_fn)}" is not supported (only silu)`);
  const ubt = r.up_block_types;
  if (ubt !== undefined) {
    if (!Array.isArray(ubt) || ubt.length !== c.block_out_channels.length) fail(`"up_block_types" must list one block per block_out_channels entry`);
    const odd = (ubt as unknown[]).find((t) => t !== 'UpDecoderBlock2D');
    if (odd !== undefined) fail(`up block type "${String(odd)}" is not supported (only UpDecoderBlock2D)`);
  }
  if (r.norm_type !== undefined && r.norm_type !== 'group') fail(`norm_type "${String(r.norm_type)}" is not supported (only group)`);
  if (r.use_post_quant_conv === false) fail('use_post_quant_conv false is not supported');
  if (r.mid_block_add_attention === false) fail('mid_block_add_attention false is not supported');
  return c;
}
