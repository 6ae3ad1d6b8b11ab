/**
 * A model's identity, defined once: the engine names a loaded model by it (`ModelInfo.id`) and the
 * app compares it with the selected model's to know whether a load is needed. Two specs with the
 * same identity load the same weights.
 */
import type { ModelSpec } from './api.ts';

export function modelIdentity(spec: ModelSpec): string {
  switch (spec.kind) {
    case 'builtin':
      return 'builtin';
    case 'hub':
      return `hub:${spec.hubUrl.replace(/\/+$/, '')}/${spec.repo}@${spec.revision ?? ''}:${spec.dtype ?? 'f32'}`;
    case 'urls':
      return `urls:${spec.transformerUrl}|${spec.vaeUrl ?? ''}:${spec.dtype ?? 'f32'}`;
    case 'files': {
      const name = (b: Blob | undefined) => (b ? `${b instanceof File ? b.name : 'blob'}/${b.size}` : '');
      return `files:${name(spec.transformer)}|${name(spec.vae)}:${spec.dtype ?? 'f32'}`;
    }
  }
}
