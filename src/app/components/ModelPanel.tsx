import { useEffect, useId, useState, type DragEvent } from 'react';
import { useController, useStudio, useStudioShallow, useStudioStore } from '../context';
import { formatBytes, formatDuration } from '../format';
import { KernelStatus } from './KernelStatus';
import { WeightsNotices } from './WeightsNotices';
import { classifyFiles, filesFromDrop, filesFromInput, type PathedFile } from '../local-files';
import { DEFAULT_HUB_URL, DIT_HUB_MODELS, ditRepoForSize, knownHubModel } from '../../model/hub-models';
import { isBusy } from '../state/run';
import { effectiveModel, loadedBuiltin, loadedModel, pickerChoice, type LocalFiles, type PickerChoice } from '../state/model-choice';

/** What the panel says about the known DiT-XL/2 weights' licence (the licence itself comes from hub-models). */
const NON_COMMERCIAL_NOTE = 'DiT-XL/2 weights by Meta (facebookresearch/DiT): non-commercial use only, with attribution.';

/** A licence line as a link to the licence's text, where it is one we recognise. */
function licenseLink(license: string | undefined): { name: string; url?: string } {
  if (!license) return { name: 'unknown' };
  if (/by-nc/i.test(license)) return { name: 'CC-BY-NC 4.0', url: 'https://creativecommons.org/licenses/by-nc/4.0/' };
  if (/^mit$/i.test(license)) return { name: 'MIT', url: 'https://opensource.org/license/mit' };
  if (/apache/i.test(license)) return { name: license, url: 'https://www.apache.org/licenses/LICENSE-2.0' };
  return { name: license };
}

function TextSetting(props: { label: string; value: string; placeholder?: string; onCommit: (v: string) => void }) {
  const id = useId();
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  const commit = () => {
    const v = text.trim();
    if (v && v !== props.value) props.onCommit(v);
    else setText(props.value);
  };
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type="text"
        spellCheck={false}
        value={text}
        placeholder={props.placeholder}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
      />
    </div>
  );
}

function FileRoles({ files }: { files: LocalFiles }) {
  const rows: [string, File | undefined][] = [
    ['Transformer', files.transformer],
    ['Transformer config', files.transformerConfig],
    ['VAE', files.vae],
    ['VAE config', files.vaeConfig],
  ];
  return (
    <dl className="file-roles">
      {rows.map(([role, f]) => (
        <div key={role}>
          <dt>{role}</dt>
          <dd>{f ? `${f.name} (${formatBytes(f.size)})` : '—'}</dd>
        </div>
      ))}
      {files.ignored.length > 0 && (
        <div>
          <dt>Ignored</dt>
          <dd>{files.ignored.join(', ')}</dd>
        </div>
      )}
    </dl>
  );
}

export function ModelPanel() {
  const store = useStudioStore();
  const controller = useController();
  const settings = useStudio((s) => s.settings);
  const urlModel = useStudio((s) => s.urlModel);
  const localFiles = useStudio((s) => s.localFiles);
  const builtin = useStudio(loadedBuiltin);
  const loaded = useStudio(loadedModel);
  const busy = useStudio(isBusy);
  const status = useStudio((s) => s.run.status);
  const loadProgress = useStudio((s) => s.run.loadProgress);
  const engineReady = useStudio((s) => s.engine.status === 'ready');
  const ref = useStudioShallow(effectiveModel);
  const [dragging, setDragging] = useState(false);
  const [fileError, setFileError] = useState<string | null>(null);
  const id = useId();

  const builtinClasses = builtin?.knownClasses?.length;
  const choice = pickerChoice(ref);

  async function takeFiles(files: PathedFile[]) {
    setFileError(null);
    if (!files.length) return;
    const roles = await classifyFiles(files);
    if (!roles.transformer) {
      setFileError('No transformer weights found: drop a DiT .safetensors file (or a diffusers folder).');
      return;
    }
    store.getState().setLocalFiles(roles);
  }

  async function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    await takeFiles(await filesFromDrop(e.dataTransfer));
  }

  // DiT-XL/2's license is known; any other Hub repo or local checkpoint has its own (the engine
  // reports DiT-XL/2's for every Hub repo), so point at the repository instead of guessing.
  const known = ref.kind === 'hub' ? knownHubModel(ref.repo) : undefined;
  const license =
    ref.kind === 'builtin'
      ? licenseLink(loaded?.license ?? builtin?.license)
      : known
        ? licenseLink(loaded?.license ?? known.license)
        : ref.kind === 'hub'
          ? { name: `see the model card of ${ref.repo}`, url: `${ref.hubUrl.replace(/\/+$/, '')}/${ref.repo}` }
          : { name: 'see where the checkpoint came from' };

  return (
    <section className="panel model-panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Model</h2>
      <div className="field">
        <label htmlFor={`${id}-choice`}>Weights</label>
        <select
          id={`${id}-choice`}
          value={choice}
          onChange={(e) => store.getState().selectModel(e.target.value as PickerChoice)}
        >
          <option value="builtin">Built-in (offline{builtinClasses ? `, ${builtinClasses} classes` : ''})</option>
          {DIT_HUB_MODELS.map((m) => (
            <option key={m.repo} value={`dit-${m.imageSize}`}>
              DiT-XL/2 {m.imageSize} (Hub download, ≈ 3 GB)
            </option>
          ))}
          <option value="custom">Other Hub repository…</option>
          <option value="files">Local files…</option>
        </select>
      </div>

      {urlModel && (
        <p className="note">
          Selected by the page address: <code>{urlModel.repo}</code> at <code>{urlModel.revision}</code> from{' '}
          <code>{urlModel.hubUrl}</code>. Generate downloads it.
        </p>
      )}

      {ref.kind === 'hub' && (
        <details className="hub-settings" open={choice === 'custom'}>
          <summary>Hub settings</summary>
          <TextSetting
            label="Hub URL"
            value={ref.hubUrl}
            placeholder={DEFAULT_HUB_URL}
            onCommit={(v) => store.getState().setHub({ hubUrl: v })}
          />
          <TextSetting
            label="Repository"
            value={ref.repo}
            placeholder={ditRepoForSize(256)}
            onCommit={(v) => store.getState().setHub({ hubRepo: v })}
          />
          <TextSetting
            label="Revision"
            value={ref.revision}
            placeholder="main"
            onCommit={(v) => store.getState().setHub({ hubRevision: v })}
          />
        </details>
      )}

      {(ref.kind === 'files' || choice === 'files') && (
        <div
          className={`dropzone${dragging ? ' dragging' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => void onDrop(e)}
        >
          <p>
            Drop a DiT checkpoint here: a diffusers folder (transformer/ and vae/), or the .safetensors and
            config.json files.
          </p>
          <label className="button secondary small file-button">
            Choose files…
            <input
              type="file"
              multiple
              accept=".safetensors,.json"
              className="visually-hidden"
              onChange={(e) => {
                void takeFiles(filesFromInput(e.target.files));
                e.target.value = '';
              }}
            />
          </label>
          {localFiles && <FileRoles files={localFiles} />}
          {fileError && (
            <p className="field-error" role="alert">
              {fileError}
            </p>
          )}
        </div>
      )}

      <div className="model-status">
        {status === 'loading' && loadProgress ? (
          <LoadProgressView />
        ) : loaded ? (
          <>
            <p>
              <strong>{loaded.name}</strong> · {loaded.imageSize}×{loaded.imageSize} px ·{' '}
              {ref.kind === 'builtin' ? 'bundled with the app' : loaded.cached ? 'loaded from the browser cache' : 'downloaded this session'}
            </p>
            {loaded.cacheWarning && (
              <p className="field-error" role="status" data-testid="cache-warning">
                {loaded.cacheWarning}
              </p>
            )}
          </>
        ) : ref.kind === 'builtin' ? (
          <p>{engineReady ? 'Loading the built-in model…' : 'The built-in model loads when the GPU is ready.'}</p>
        ) : ref.kind === 'hub' ? (
          <p>Not loaded yet. Generate downloads it once; later visits use the browser cache.</p>
        ) : (
          <p>Not loaded yet.</p>
        )}
        <WeightsNotices />
        <KernelStatus />
        <div className="button-row compact">
          {ref.kind !== 'builtin' && (
            <button type="button" className="secondary small" disabled={busy || !!loaded} onClick={() => void controller.loadModel()}>
              {ref.kind === 'hub' ? 'Download now' : 'Load now'}
            </button>
          )}
          <button type="button" className="secondary small" disabled={busy} onClick={() => void controller.clearCache()}>
            Clear cache
          </button>
        </div>
      </div>

      <p className="license">
        License:{' '}
        {license.url ? (
          <a href={license.url} target="_blank" rel="noreferrer">
            {license.name}
          </a>
        ) : (
          license.name
        )}
        {known && <span className="hint"> — {NON_COMMERCIAL_NOTE}</span>}
      </p>
    </section>
  );
}

function LoadProgressView() {
  const p = useStudio((s) => s.run.loadProgress);
  if (!p) return null;
  const pct = p.totalBytes > 0 ? Math.round((p.loadedBytes / p.totalBytes) * 100) : 0;
  return (
    <div className="load-progress" aria-live="polite">
      <p className="file-name" title={p.file}>
        {p.fromCache ? 'From cache: ' : 'Downloading: '}
        <code>{p.file}</code>
      </p>
      <p className="load-numbers">
        <span>
          {formatBytes(p.loadedBytes)} / {formatBytes(p.totalBytes)}
        </span>
        <span>{pct}%</span>
        {!p.fromCache && p.bytesPerSecond > 0 && <span>{formatBytes(p.bytesPerSecond)}/s</span>}
        {!p.fromCache && p.etaSeconds > 0 && <span>ETA {formatDuration(p.etaSeconds)}</span>}
      </p>
    </div>
  );
}
