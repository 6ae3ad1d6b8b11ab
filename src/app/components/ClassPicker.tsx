import { useId } from 'react';
import { className, classSynonyms, shortClassName } from '../../data/imagenet';
import { useStudio, useStudioStore } from '../context';
import { modelClasses } from '../state/classes';
import { effectiveModel } from '../state/model-choice';
import { ClassSearch } from './ClassSearch';

/** Picks a class the model may make; `pool` when given (the model's classes), else any ImageNet class. */
export function randomClassFrom(pool: number[] | null, not: number): number {
  const n = pool ? pool.length : 1000;
  let next = not;
  for (let i = 0; i < 8 && next === not; i++) {
    const k = Math.floor(Math.random() * n);
    next = pool ? pool[k] : k;
  }
  return next;
}

export function ClassPicker() {
  const store = useStudioStore();
  const classId = useStudio((s) => s.settings.classId);
  // Once the selected model is loaded, only its classes: the built-in model's trained subset, or
  // ids 0..numClasses-1 of a model with fewer than 1000 classes.
  const restrictTo = useStudio(modelClasses);
  const builtinSelected = useStudio((s) => effectiveModel(s).kind === 'builtin');
  const subset = !!restrictTo && builtinSelected;
  const id = useId();

  const pick = (next: number) => store.getState().setClassId(next);
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
      <ClassSearch
        id={`${id}-input`}
        testId="class-search"
        optionTestId="class-option"
        currentId={classId}
        onPick={pick}
        restrictTo={restrictTo}
        placeholder={
          subset ? 'Search the built-in classes…' : restrictTo ? `Search this model's ${restrictTo.length} classes…` : 'Search 1000 classes or type an id…'
        }
        description={`Current class: ${className(classId)}, id ${classId}. Type to search, arrow keys to choose, Enter to pick.`}
        outsideMessage={
          subset
            ? 'The built-in model does not know this class. Choose DiT-XL/2 in the model panel for all 1000 classes.'
            : `This model has ${restrictTo?.length} classes (${range}); this class is not one of them.`
        }
      >
        <button type="button" className="icon-button" onClick={() => pick(randomClassFrom(restrictTo, classId))} title="Random class" aria-label="Random class">
          <DiceIcon />
        </button>
      </ClassSearch>
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
