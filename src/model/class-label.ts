/**
 * The one rule for class labels, used where a label enters: a model with `num_classes` classes
 * takes 0..num_classes-1, and its label table has one more row, the null class (index
 * num_classes) that classifier-free guidance pairs every conditional row with.
 */
export function classLabelError(label: number, numClasses: number, opts: { allowNull?: boolean } = {}): string | null {
  const top = opts.allowNull ? numClasses : numClasses - 1;
  if (Number.isInteger(label) && label >= 0 && label <= top) return null;
  return `class ${label} is outside 0..${top}: this model has ${numClasses} classes${opts.allowNull ? ` (${numClasses} is the null class)` : ''}`;
}

/** Throws the rule's message for the first label outside the model's range. */
export function checkClassLabels(labels: ArrayLike<number>, numClasses: number, opts: { allowNull?: boolean } = {}): void {
  for (let i = 0; i < labels.length; i++) {
    const error = classLabelError(labels[i], numClasses, opts);
    if (error) throw new Error(error);
  }
}
