/** Shared helpers of the kernel recording modules: grid sizes and shape checks. */

/** WebGPU's guaranteed maximum of workgroups per dispatch dimension. */
export const MAX_GROUPS = 65535;

/** A 1-D range of `count` items over a 2-D grid of `size`-wide workgroups (index = x + y · rowWidth). */
export function grid1d(count: number, size: number): { groups: [number, number]; rowWidth: number } {
  const total = Math.max(1, Math.ceil(count / size));
  const gx = Math.min(total, MAX_GROUPS);
  return { groups: [gx, Math.ceil(total / gx)], rowWidth: gx * size };
}

export function expect(cond: boolean, message: string): void {
  if (!cond) throw new Error(message);
}
