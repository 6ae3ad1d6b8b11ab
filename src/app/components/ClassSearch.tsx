import { useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { searchClasses, shortClassName } from '../../data/imagenet';

const MAX_RESULTS = 50;

/**
 * A class search box: an ARIA combobox over the ImageNet classes (or the model's subset), typed
 * to filter, arrow keys to move, Enter to pick, Escape to close. The class picker and the blend's
 * second class both use it.
 */
export function ClassSearch(props: {
  /** The input's id (its <label> is the caller's). */
  id: string;
  testId: string;
  optionTestId: string;
  /** The class picked now (marked in the list). */
  currentId: number | null;
  onPick(classId: number): void;
  /** Only these classes (the model's), or null for every ImageNet class. */
  restrictTo: number[] | null;
  placeholder: string;
  /** Read by screen readers with the input. */
  description: string;
  /** Shown when the query matches classes, but none the model knows. */
  outsideMessage: string;
  /** Extra buttons after the input (a random class, a clear button). */
  children?: React.ReactNode;
}) {
  const { id, restrictTo, onPick } = props;
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const listRef = useRef<HTMLUListElement>(null);
  const listId = `${id}-list`;

  const results = useMemo(() => searchClasses(query, { limit: MAX_RESULTS, restrictTo }), [query, restrictTo]);
  const unrestrictedCount = useMemo(
    () => (restrictTo && query.trim() ? searchClasses(query, { limit: 1 }).length : 0),
    [query, restrictTo],
  );
  const showList = open && results.length > 0;
  const activeIndex = Math.min(active, Math.max(0, results.length - 1));

  function pick(classId: number) {
    onPick(classId);
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

  return (
    <div className="combo">
      <div className="combo-row">
        <input
          id={id}
          data-testid={props.testId}
          type="text"
          role="combobox"
          autoComplete="off"
          spellCheck={false}
          placeholder={props.placeholder}
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
        {props.children}
      </div>
      <span id={`${id}-desc`} className="visually-hidden">
        {props.description}
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
              data-testid={props.optionTestId}
              data-class-id={r.id}
              className={`combo-option${i === activeIndex ? ' active' : ''}${r.id === props.currentId ? ' current' : ''}`}
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
          {unrestrictedCount === 0 ? 'No class matches.' : props.outsideMessage}
        </p>
      )}
    </div>
  );
}
