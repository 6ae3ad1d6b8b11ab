/**
 * Sorting dropped or picked model files into the roles the engine wants: the DiT transformer
 * weights, the VAE weights and their config.json files (a diffusers folder such as
 * facebook/DiT-XL-2-256 has transformer/ and vae/ subfolders, each with both).
 */
import type { LocalFiles } from './state/model-choice';

export interface PathedFile {
  file: File;
  /** Path inside the dropped folder when known (e.g. "DiT-XL-2-256/vae/config.json"), else the name. */
  path: string;
}

async function configRole(file: File): Promise<'vae' | 'transformer' | null> {
  try {
    const json = JSON.parse(await file.text()) as Record<string, unknown>;
    const cls = String(json._class_name ?? '');
    if (/autoencoder|vae/i.test(cls) || 'latent_channels' in json) return 'vae';
    if (/transformer|dit/i.test(cls) || 'patch_size' in json || 'num_layers' in json) return 'transformer';
  } catch {
    // not JSON
  }
  return null;
}

export async function classifyFiles(files: PathedFile[]): Promise<LocalFiles> {
  const out: LocalFiles = { ignored: [] };
  const weights = files.filter((f) => /\.safetensors$/i.test(f.path));
  const configs = files.filter((f) => /\.json$/i.test(f.path));
  for (const f of files) if (!weights.includes(f) && !configs.includes(f)) out.ignored.push(f.path);

  const isVae = (p: string) => /(^|[/_.-])vae([/_.-]|$)|autoencoder/i.test(p);
  for (const f of weights) {
    if (isVae(f.path)) {
      if (!out.vae) out.vae = f.file;
      else out.ignored.push(f.path);
    } else if (!out.transformer || /transformer|dit/i.test(f.path)) {
      if (out.transformer) out.ignored.push(out.transformer.name);
      out.transformer = f.file;
    } else out.ignored.push(f.path);
  }
  for (const f of configs) {
    let role: 'vae' | 'transformer' | null = isVae(f.path) ? 'vae' : /transformer/i.test(f.path) ? 'transformer' : null;
    role ??= await configRole(f.file);
    if (role === 'vae' && !out.vaeConfig) out.vaeConfig = f.file;
    else if (role === 'transformer' && !out.transformerConfig) out.transformerConfig = f.file;
    else out.ignored.push(f.path);
  }
  return out;
}

/** Files from an <input type=file> (with webkitRelativePath when a folder was picked). */
export function filesFromInput(list: FileList | null): PathedFile[] {
  return Array.from(list ?? [], (file) => ({ file, path: file.webkitRelativePath || file.name }));
}

interface FsEntry {
  isFile: boolean;
  isDirectory: boolean;
  fullPath: string;
  file?(cb: (f: File) => void, err: (e: unknown) => void): void;
  createReader?(): { readEntries(cb: (entries: FsEntry[]) => void, err: (e: unknown) => void): void };
}

async function walk(entry: FsEntry, out: PathedFile[], depth = 0): Promise<void> {
  if (depth > 6 || out.length > 200) return;
  if (entry.isFile && entry.file) {
    const file = await new Promise<File>((res, rej) => entry.file!(res, rej));
    out.push({ file, path: entry.fullPath.replace(/^\//, '') });
  } else if (entry.isDirectory && entry.createReader) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise<FsEntry[]>((res, rej) => reader.readEntries(res, rej));
      if (!batch.length) break;
      for (const e of batch) await walk(e, out, depth + 1);
    }
  }
}

/** Files from a drop, descending into dropped folders where the browser allows it. */
export async function filesFromDrop(dt: DataTransfer): Promise<PathedFile[]> {
  const out: PathedFile[] = [];
  const entries: FsEntry[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    const entry = (item as DataTransferItem & { webkitGetAsEntry?: () => FsEntry | null }).webkitGetAsEntry?.();
    if (entry) entries.push(entry);
  }
  if (entries.length) {
    for (const e of entries) await walk(e, out);
    return out;
  }
  return filesFromInput(dt.files);
}
