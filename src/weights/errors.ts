/** Why a weights file or tensor was refused; `code` lets callers and tests tell the cases apart. */
export type WeightsErrorCode =
  | 'truncated' | 'bad-header' | 'bad-dtype' | 'missing-tensor' | 'bad-shape' | 'unknown-layout'
  | 'bad-archive' | 'bad-pickle' | 'unsupported' | 'http' | 'network' | 'quota' | 'checksum';

export class WeightsError extends Error {
  constructor(readonly code: WeightsErrorCode, message: string) {
    super(message);
    this.name = 'WeightsError';
  }
}
