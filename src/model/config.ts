/** DiT configuration, in the fields of the reference `models.py` (and the fixtures' config.json). */

export interface DitConfig {
  input_size: number;
  patch_size: number;
  in_channels: number;
  hidden_size: number;
  depth: number;
  num_heads: number;
  num_classes: number;
  learn_sigma: boolean;
  class_dropout_prob?: number;
  mlp_ratio?: number;
}

/** Named presets as in the reference `DiT_models`; input size and classes as for ImageNet 256. */
const SIZES = { S: [384, 12, 6], B: [768, 12, 12], L: [1024, 24, 16], XL: [1152, 28, 16] } as const;

export function presetConfig(name: string, inputSize = 32): DitConfig {
  const m = /^DiT-(S|B|L|XL)\/(2|4|8)$/.exec(name);
  if (!m) throw new Error(`unknown DiT preset "${name}" (expected DiT-S|B|L|XL/2|4|8)`);
  const [hidden, depth, heads] = SIZES[m[1] as keyof typeof SIZES];
  return {
    input_size: inputSize, patch_size: Number(m[2]), in_channels: 4, hidden_size: hidden, depth,
    num_heads: heads, num_classes: 1000, learn_sigma: true, class_dropout_prob: 0.1,
  };
}

export const outChannels = (c: DitConfig): number => (c.learn_sigma ? 2 * c.in_channels : c.in_channels);
export const gridSize = (c: DitConfig): number => c.input_size / c.patch_size;
export const numTokens = (c: DitConfig): number => gridSize(c) ** 2;
export const headDim = (c: DitConfig): number => c.hidden_size / c.num_heads;
export const mlpHidden = (c: DitConfig): number => Math.round(c.hidden_size * (c.mlp_ratio ?? 4));
/** The label table has a null-class row (index num_classes) when classifier-free guidance was trained. */
export const labelRows = (c: DitConfig): number => c.num_classes + ((c.class_dropout_prob ?? 0.1) > 0 ? 1 : 0);

/** Checks a parsed config.json and fills defaults; throws a message naming the bad field. */
export function parseDitConfig(raw: unknown): DitConfig {
  if (!raw || typeof raw !== 'object') throw new Error('DiT config is not a JSON object');
  const r = raw as Record<string, unknown>;
  const int = (k: string, min = 1): number => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`DiT config: "${k}" must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const c: DitConfig = {
    input_size: int('input_size'), patch_size: int('patch_size'), in_channels: int('in_channels'),
    hidden_size: int('hidden_size'), depth: int('depth'), num_heads: int('num_heads'), num_classes: int('num_classes'),
    learn_sigma: r.learn_sigma === undefined ? true : Boolean(r.learn_sigma),
    class_dropout_prob: typeof r.class_dropout_prob === 'number' ? r.class_dropout_prob : 0.1,
    mlp_ratio: typeof r.mlp_ratio === 'number' ? r.mlp_ratio : 4,
  };
  if (c.input_size % c.patch_size) throw new Error(`DiT config: input_size ${c.input_size} is not a multiple of patch_size ${c.patch_size}`);
  if (c.hidden_size % c.num_heads) throw new Error(`DiT config: hidden_size ${c.hidden_size} is not divisible by num_heads ${c.num_heads}`);
  if (c.hidden_size % 4) throw new Error(`DiT config: hidden_size ${c.hidden_size} must be a multiple of 4 (2-D sin-cos position table)`);
  return c;
}
