import { useStudio } from '../context';

/** "Preparing GPU kernels (n/m)…" while the engine compiles the pipelines of the next run (engine/kernel-prep.ts). */
export function KernelStatus() {
  const k = useStudio((s) => s.kernels);
  if (!k || k.done >= k.total) return null;
  return (
    <p className="hint" data-testid="kernel-status" role="status" aria-live="polite">
      Preparing GPU kernels ({k.done}/{k.total})…
    </p>
  );
}
