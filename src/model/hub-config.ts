/**
 * DiT configs as the Hub stores them: diffusers' `transformer/config.json` of a
 * `Transformer2DModel` with adaLN-Zero, translated to the reference fields; the reference-style
 * config (the fixtures' and the built-in model's `config.json`) passes through.
 */
import { parseDitConfig, type DitConfig } from './config.ts';

export function ditConfigFromJson(raw: unknown): DitConfig {
  if (!raw || typeof raw !== 'object') throw new Error('transformer config is not a JSON object');
  const r = raw as Record<string, unknown>;
  if ('input_size' in r) return parseDitConfig(r);
  const unsupported = (what: string) => new Error(`unsupported transformer config: ${what} (only DiT's Transformer2DModel with norm_type "ada_norm_zero" is supported)`);
  if (r.norm_type !== 'ada_norm_zero') throw unsupported(`norm_type ${JSON.stringify(r.norm_type)}`);
  if (r.activation_fn !== undefined && r.activation_fn !== 'gelu-approximate') throw unsupported(`activation_fn ${JSON.stringify(r.activation_fn)}`);
  if (typeof r.num_embeds_ada_norm !== 'number') throw unsupported('no num_embeds_ada_norm (class count)');
  const num = (k: string): number => {
    if (typeof r[k] !== 'number') throw unsupported(`"${k}" missing`);
    return r[k] as number;
  };
  const inChannels = num('in_channels');
  const outChannels = typeof r.out_channels === 'number' ? r.out_channels : inChannels;
  if (outChannels !== inChannels && outChannels !== 2 * inChannels) throw unsupported(`out_channels ${outChannels} with in_channels ${inChannels}`);
  const heads = num('num_attention_heads');
  return parseDitConfig({
    input_size: num('sample_size'),
    patch_size: num('patch_size'),
    in_channels: inChannels,
    hidden_size: heads * num('attention_head_dim'),
    depth: num('num_layers'),
    num_heads: heads,
    num_classes: r.num_embeds_ada_norm,
    learn_sigma: outChannels === 2 * inChannels,
    class_dropout_prob: 0.1,
  });
}
