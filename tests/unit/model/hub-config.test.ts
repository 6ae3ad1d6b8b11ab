import { describe, expect, it } from 'vitest';
import { ditConfigFromJson } from '../../../src/model/hub-config.ts';

// facebook/DiT-XL-2-256 transformer/config.json
const XL256 = {
  _class_name: 'Transformer2DModel', activation_fn: 'gelu-approximate', attention_bias: true, attention_head_dim: 72,
  dropout: 0.0, in_channels: 4, norm_num_groups: 32, norm_type: 'ada_norm_zero', num_attention_heads: 16,
  num_embeds_ada_norm: 1000, num_layers: 28, num_vector_embeds: null, only_cross_attention: false, out_channels: 8,
  patch_size: 2, sample_size: 32, upcast_attention: false, use_linear_projection: false,
};

describe('transformer config.json', () => {
  it('translates the DiT-XL/2 256 diffusers config', () => {
    expect(ditConfigFromJson(XL256)).toMatchObject({ input_size: 32, patch_size: 2, in_channels: 4, hidden_size: 1152, depth: 28, num_heads: 16, num_classes: 1000, learn_sigma: true });
  });

  it('passes reference-style configs through', () => {
    expect(ditConfigFromJson({ input_size: 8, patch_size: 2, in_channels: 4, hidden_size: 64, depth: 2, num_heads: 4, num_classes: 10, learn_sigma: true }).hidden_size).toBe(64);
  });

  it('refuses other transformers with a message that says what is unsupported', () => {
    expect(() => ditConfigFromJson({ ...XL256, norm_type: 'layer_norm' })).toThrow(/norm_type "layer_norm"/);
    expect(() => ditConfigFromJson({ ...XL256, activation_fn: 'geglu' })).toThrow(/activation_fn "geglu"/);
    expect(() => ditConfigFromJson({ ...XL256, num_embeds_ada_norm: undefined })).toThrow(/class count/);
  });
});
