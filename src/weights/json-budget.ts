/**
 * Prices a JSON text before JSON.parse builds it: one linear pass over the bytes that builds
 * nothing, charging each value's estimated heap to a MemoryBudget and refusing nesting deeper than
 * `maxDepth`. JSON.parse then checks the syntax; this only has to be right about valid JSON (on
 * invalid JSON any estimate will do, as JSON.parse refuses it). One byte of JSON can ask for ~60
 * bytes of heap (`[[[[…` or `{"a":{},…`), which is why a size cap alone does not bound memory.
 */
import type { MemoryBudget } from './budget.ts';

/** Heap estimates in bytes (64-bit V8, on the high side), as in unpickle.ts. */
const COST = {
  /** Any value's slot in its parent. */
  slot: 16,
  /** An empty array. */
  array: 64,
  /** An empty object. */
  object: 256,
  /** A member of an object: its property entry (the key is charged as a string). */
  member: 64,
  /** A number (boxed when it is not a small integer). */
  number: 16,
  /** A string, plus 2 bytes per UTF-8 byte (each byte is at most one UTF-16 unit). */
  string: 32,
} as const;

const QUOTE = 0x22, BACKSLASH = 0x5c, COLON = 0x3a;
const OPEN_OBJECT = 0x7b, OPEN_ARRAY = 0x5b, CLOSE_OBJECT = 0x7d, CLOSE_ARRAY = 0x5d;

const isNumberStart = (c: number) => c === 0x2d || (c >= 0x30 && c <= 0x39);
const isLetter = (c: number) => c >= 0x61 && c <= 0x7a;
const isNumberPart = (c: number) => isNumberStart(c) || c === 0x2b || c === 0x2e || c === 0x45 || c === 0x65;

/** Charges `budget` for everything JSON.parse would build from `json`; `fail` is called on nesting past `maxDepth`. */
export function chargeJson(json: Uint8Array, budget: MemoryBudget, maxDepth: number, fail: (message: string) => never): void {
  let depth = 0;
  let i = 0;
  const n = json.byteLength;
  while (i < n) {
    const c = json[i];
    if (c === QUOTE) {
      const start = ++i;
      while (i < n && json[i] !== QUOTE) i += json[i] === BACKSLASH ? 2 : 1;
      budget.charge('strings', COST.slot + COST.string + 2 * (i - start));
      i++;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) fail(`JSON nested more than ${maxDepth} levels deep`);
      budget.charge(c === OPEN_OBJECT ? 'objects' : 'arrays', COST.slot + (c === OPEN_OBJECT ? COST.object : COST.array));
      i++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      i++;
    } else if (c === COLON) {
      budget.charge('object members', COST.member);
      i++;
    } else if (isNumberStart(c)) {
      budget.charge('numbers', COST.slot + COST.number);
      while (i < n && isNumberPart(json[i])) i++;
    } else if (isLetter(c)) {
      // true, false, null: shared constants, each in a slot.
      budget.charge('literals', COST.slot);
      while (i < n && isLetter(json[i])) i++;
    } else {
      i++; // whitespace and commas
    }
  }
}
