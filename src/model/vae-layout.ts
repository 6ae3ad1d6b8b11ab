/**
 * VAE checkpoint key layouts. The decoder reads diffusers `AutoencoderKL` names; two other layouts
 * are presented under them:
 *   legacy  diffusers ≤ 0.16 (`AttentionBlock`): mid-block attention `query/key/value/proj_attn`;
 *   ldm     original CompVis/LDM files (`vae-ft-mse-840000-ema-pruned`, optionally under
 *           `first_stage_model.`): `decoder.mid.block_1/2`, `decoder.mid.attn_1.{norm,q,k,v,proj_out}`
 *           with 1x1-conv q/k/v/proj_out weights [C, C, 1, 1] (read as [C, C]), `decoder.up.N`
 *           numbered from the lowest resolution (reversed), `nin_shortcut`, `decoder.norm_out`.
 * Each diffusers name maps to one file key, so an error can name the key the file actually lacks.
 */
import type { TensorSource } from './tensor-source.ts';

export type VaeLayout = 'diffusers' | 'legacy' | 'ldm';

const ATTN = 'decoder.mid_block.attentions.0.';
const LDM_PREFIX = 'first_stage_model.';

export function detectVaeLayout(names: string[]): { layout: VaeLayout; prefix: string } {
  const has = (n: string) => names.includes(n);
  if (has(`${ATTN}to_q.weight`)) return { layout: 'diffusers', prefix: '' };
  if (has(`${ATTN}query.weight`)) return { layout: 'legacy', prefix: '' };
  if (has('decoder.mid.attn_1.q.weight')) return { layout: 'ldm', prefix: '' };
  if (has(`${LDM_PREFIX}decoder.mid.attn_1.q.weight`)) return { layout: 'ldm', prefix: LDM_PREFIX };
  const sample = names.slice(0, 5).join(', ');
  throw new Error(`unknown VAE weight layout: no decoder mid-block attention found (looked for ${ATTN}to_q.weight, ${ATTN}query.weight, decoder.mid.attn_1.q.weight; first keys: ${sample || 'none'})`);
}

const LEGACY_ATTN: Record<string, string> = { to_q: 'query', to_k: 'key', to_v: 'value', 'to_out.0': 'proj_attn' };
const LDM_ATTN: Record<string, string> = { group_norm: 'norm', to_q: 'q', to_k: 'k', to_v: 'v', 'to_out.0': 'proj_out' };

const ldmResnetPart = (part: string) => part.replace(/^conv_shortcut\./, 'nin_shortcut.');

/** The file key holding diffusers tensor `name` in this layout (n = number of up blocks). */
export function fileKey(layout: VaeLayout, prefix: string, name: string, n: number): string {
  if (layout === 'diffusers') return name;
  if (layout === 'legacy') {
    const m = /^decoder\.mid_block\.attentions\.0\.(to_q|to_k|to_v|to_out\.0)\.(weight|bias)$/.exec(name);
    return m ? `${ATTN}${LEGACY_ATTN[m[1]]}.${m[2]}` : name;
  }
  let m: RegExpExecArray | null;
  let key = name;
  if ((m = /^decoder\.mid_block\.attentions\.0\.(group_norm|to_q|to_k|to_v|to_out\.0)\.(.+)$/.exec(name))) key = `decoder.mid.attn_1.${LDM_ATTN[m[1]]}.${m[2]}`;
  else if ((m = /^decoder\.mid_block\.resnets\.(\d+)\.(.+)$/.exec(name))) key = `decoder.mid.block_${Number(m[1]) + 1}.${ldmResnetPart(m[2])}`;
  else if ((m = /^decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)$/.exec(name))) key = `decoder.up.${n - 1 - Number(m[1])}.block.${m[2]}.${ldmResnetPart(m[3])}`;
  else if ((m = /^decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)$/.exec(name))) key = `decoder.up.${n - 1 - Number(m[1])}.upsample.conv.${m[2]}`;
  else if ((m = /^decoder\.conv_norm_out\.(.+)$/.exec(name))) key = `decoder.norm_out.${m[1]}`;
  return prefix + key;
}

/** A checkpoint read under diffusers names: 1x1-conv attention projections [C, C, 1, 1] read as [C, C]. */
export interface VaeSource {
  layout: VaeLayout;
  /** The file key behind a diffusers name. */
  keyOf(name: string): string;
  has(name: string): boolean;
  shape(name: string): number[];
  float32(name: string): Promise<Float32Array>;
}

const isAttentionProjection = (name: string) => /^decoder\.mid_block\.attentions\.0\.(to_q|to_k|to_v|to_out\.0)\.weight$/.test(name);

export function vaeSource(src: TensorSource, numUpBlocks: number): VaeSource {
  const { layout, prefix } = detectVaeLayout(src.names());
  const keyOf = (name: string) => fileKey(layout, prefix, name, numUpBlocks);
  const shape = (name: string) => {
    const s = src.shape(keyOf(name));
    return layout === 'ldm' && isAttentionProjection(name) && s.length === 4 && s[2] === 1 && s[3] === 1 ? s.slice(0, 2) : s;
  };
  return {
    layout,
    keyOf,
    has: (name) => src.has(keyOf(name)),
    shape,
    float32: (name) => src.float32(keyOf(name)),
  };
}
