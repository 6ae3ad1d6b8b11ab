import { useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { className, classSynonyms, searchClasses, shortClassName } from '../../data/imagenet';
import { useStudio, useStudioStore } from '../context';
import { modelClasses } from '../state/classes';
import { effectiveModel } from '../state/model-choice';

const MAX_RESULTS = 50;

export function ClassPicker() {
  const store = useStudioStore();
  const classId = useStudio((s) => s.settings.classId);
  // Once the selected model is loaded, only its classes: the built-in model's trained subset, or
  // ids 0..numClasses-1 of a model with fewer than 1000 classes.
  const restrictTo = useStudio(modelClasses);
  const builtinSelected = useStudio((s) => effectiveModel(s).kind === 'builtin');
  const subset = !!restrictTo && builtinSelected;
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const id = useId();
  const listId = `${id}-list`;

  const results = useMemo(() => searchClasses(query, { limit: MAX_RESULTS, restrictTo }), [query, restrictTo]);
  const unrestrictedCount = useMemo(
    () => (restrictTo && query.trim() ? searchClasses(query, { limit: 1 }).length : 0),
    [query, restrictTo],
  );
  const showList = open && results.length > 0;
  const activeIndex = Math.min(active, Math.max(0, results.length - 1));

  function pick(classIdToPick: number) {
    store.getState().setClassId(classIdToPick);
    setQuery('');
    setOpen(false);
    setActive(0);
  }

  function move(delta: number) {
    setOpen(true);
    const n = results.length;
    if (!n) return;
    const next = open ? (activeIndex + delta + n) % n : delta > 0 ? 0 : n - 1;
    setActive(next);
    listRef.current?.querySelector<HTMLElement>(`[data-index="${next}"]`)?.scrollIntoView?.({ block: 'nearest' });
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault();
        move(1);
        break;
      case 'ArrowUp':
        e.preventDefault();
        move(-1);
        break;
      case 'Home':
      case 'End':
        if (showList && e.ctrlKey) {
          e.preventDefault();
          setActive(e.key === 'Home' ? 0 : results.length - 1);
        }
        break;
      case 'Enter':
        if (showList || query.trim()) {
          e.preventDefault();
          const r = results[activeIndex];
          if (r) pick(r.id);
        }
        break;
      case 'Escape':
        if (open || query) {
          e.preventDefault();
          setOpen(false);
          setQuery('');
        }
        break;
    }
  }

  function randomClass() {
    const pool = restrictTo ?? null;
    const n = pool ? pool.length : 1000;
    let next = classId;
    for (let i = 0; i < 8 && next === classId; i++) {
      const k = Math.floor(Math.random() * n);
      next = pool ? pool[k] : k;
    }
    pick(next);
  }

  const synonyms = classSynonyms(classId);
  const modelLabel = builtinSelected ? 'built-in model' : 'this model';
  const range = restrictTo && !subset ? `ids 0–${restrictTo.length - 1}` : null;
  const currentOutside = restrictTo !== null && !restrictTo.includes(classId);

  return (
    <div className="field class-picker">
      <div className="field-head">
        <label htmlFor={`${id}-input`}>Class</label>
        {restrictTo && (
          <span className="hint">
            {modelLabel}: {restrictTo.length} classes{range ? ` (${range})` : ''}
          </span>
        )}
      </div>
      <div className="class-current" aria-live="polite">
        <span className="class-current-name">{shortClassName(classId)}</span>
        <span className="class-id">#{classId}</span>
        {synonyms.length > 1 && <span className="class-synonyms">{synonyms.slice(1).join(', ')}</span>}
      </div>
      {currentOutside && (
        <p className="field-error" role="status">
          {subset
            ? 'The built-in model does not know this class: pick one of its classes.'
            : `This model has ${restrictTo.length} classes (${range}): pick one of them.`}
        </p>
      )}
      <div className="combo">
        <div className="combo-row">
          <input
            ref={inputRef}
            id={`${id}-input`}
            data-testid="class-search"
            type="text"
            role="combobox"
            autoComplete="off"
            spellCheck={false}
            placeholder={
              subset ? 'Search the built-in classes…' : restrictTo ? `Search this model's ${restrictTo.length} classes…` : 'Search 1000 classes or type an id…'
            }
            aria-autocomplete="list"
            aria-expanded={showList}
            aria-controls={listId}
            aria-activedescendant={showList ? `${id}-opt-${activeIndex}` : undefined}
            aria-describedby={`${id}-desc`}
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setOpen(true);
              setActive(0);
            }}
            onFocus={() => setOpen(true)}
            onBlur={() => setOpen(false)}
            onKeyDown={onKeyDown}
          />
          <button type="button" className="icon-button" onClick={randomClass} title="Random class" aria-label="Random class">
            <DiceIcon />
          </button>
        </div>
        <span id={`${id}-desc`} className="visually-hidden">
          Current class: {className(classId)}, id {classId}. Type to search, arrow keys to choose, Enter to pick.
        </span>
        <ul id={listId} ref={listRef} role="listbox" aria-label="Matching classes" className="combo-list" hidden={!showList}>
          {showList &&
            results.map((r, i) => (
              <li
                key={r.id}
                id={`${id}-opt-${i}`}
                role="option"
                aria-selected={i === activeIndex}
                data-index={i}
                data-testid="class-option"
                data-class-id={r.id}
                className={`combo-option${i === activeIndex ? ' active' : ''}${r.id === classId ? ' current' : ''}`}
                onMouseDown={(e) => e.preventDefault()}
                onMouseMove={() => i !== activeIndex && setActive(i)}
                onClick={() => pick(r.id)}
              >
                <span className="opt-name">
                  <span className="opt-main">{shortClassName(r.id)}</span>
                  {r.name !== shortClassName(r.id) && <span className="opt-syn">{r.name.slice(shortClassName(r.id).length + 2)}</span>}
                </span>
                <span className="class-id">#{r.id}</span>
              </li>
            ))}
        </ul>
        {open && query.trim() !== '' && results.length === 0 && (
          <p className="combo-empty" role="status">
            {unrestrictedCount === 0
              ? 'No class matches.'
              : subset
                ? 'The built-in model does not know this class. Choose DiT-XL/2 in the model panel for all 1000 classes.'
                : `This model has ${restrictTo?.length} classes (${range}); this class is not one of them.`}
          </p>
        )}
      </div>
    </div>
  );
}

export function DiceIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
      <rect x="3" y="3" width="18" height="18" rx="4" fill="none" stroke="currentColor" strokeWidth="2" />
      <circle cx="8" cy="8" r="1.6" fill="currentColor" />
      <circle cx="16" cy="8" r="1.6" fill="currentColor" />
      <circle cx="12" cy="12" r="1.6" fill="currentColor" />
      <circle cx="8" cy="16" r="1.6" fill="currentColor" />
      <circle cx="16" cy="16" r="1.6" fill="currentColor" />
    </svg>
  );
}
