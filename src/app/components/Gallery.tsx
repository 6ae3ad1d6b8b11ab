import { useState } from 'react';
import { shortClassName } from '../../data/imagenet';
import { useController, useStudio, useStudioStore } from '../context';
import type { GalleryItem } from '../gallery';

function describe(item: GalleryItem): string {
  const p = item.params;
  const blend = p.blend ? ` blended with ${shortClassName(p.blend.classId)} (#${p.blend.classId}) at w ${p.blend.weight.toFixed(2)},` : '';
  return `${shortClassName(p.classId)} (#${p.classId}),${blend} guidance ${p.cfgScale.toFixed(1)}, ${p.steps} ${p.sampler} steps, seed ${p.seed}, ${item.modelName}`;
}

/** Past results (IndexedDB); clicking one restores its parameters. */
export function Gallery() {
  const store = useStudioStore();
  const controller = useController();
  const items = useStudio((s) => s.gallery);
  const [restored, setRestored] = useState<string | null>(null);

  return (
    <section className="panel gallery" data-testid="gallery" aria-labelledby="gallery-title">
      <div className="panel-head">
        <h2 id="gallery-title">Gallery</h2>
        {items.length > 0 && (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              if (typeof window === 'undefined' || !window.confirm || window.confirm('Remove every image from the gallery?')) {
                void controller.clearGallery();
              }
            }}
          >
            Clear all
          </button>
        )}
      </div>
      {items.length === 0 ? (
        <p className="hint">Finished images are kept here, in this browser. Click one to restore its settings.</p>
      ) : (
        <ul className="gallery-grid">
          {items.map((item) => (
            <li key={item.id} className={`gallery-item${restored === item.id ? ' restored' : ''}`}>
              <button
                type="button"
                className="thumb"
                title={`Restore: ${describe(item)}`}
                aria-label={`Restore settings: ${describe(item)}`}
                onClick={() => {
                  store.getState().restoreFromGallery(item);
                  setRestored(item.id);
                }}
              >
                <img src={item.thumbnail} alt="" width={item.width} height={item.height} className={item.width < 256 ? 'pixelated' : undefined} />
                <span className="thumb-caption" title={`guidance ${item.params.cfgScale.toFixed(1)}, seed ${item.params.seed}`}>
                  <span className="thumb-name">{shortClassName(item.params.classId)}</span>
                  <span className="thumb-params">
                    {/* Wraps only between the two parts: a narrow card must not cut the seed off. */}
                    {`cfg\u00a0${item.params.cfgScale.toFixed(1)} · seed\u00a0${item.params.seed}`}
                  </span>
                </span>
              </button>
              <button
                type="button"
                className="thumb-delete"
                aria-label={`Delete ${shortClassName(item.params.classId)}, seed ${item.params.seed}`}
                title="Delete"
                onClick={() => void controller.removeGalleryItem(item.id)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <p className="visually-hidden" role="status" aria-live="polite">
        {restored ? 'Settings restored from the gallery.' : ''}
      </p>
    </section>
  );
}
