/**
 * The 1000 ImageNet-1k class names (ILSVRC-2012 order, the order DiT's class labels use) and
 * search helpers shared by the app and the command line.
 *
 * Each name is a comma-separated list of synonyms, e.g. 281 = "tabby, tabby cat".
 */
import classNames from './imagenet-classes.json';

export const NUM_IMAGENET_CLASSES = 1000;

/** Full names ("tabby, tabby cat") indexed by class id. */
export const IMAGENET_CLASSES: readonly string[] = classNames as string[];

const SYNONYMS: readonly (readonly string[])[] = IMAGENET_CLASSES.map((name) =>
  name
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);
const SYNONYMS_LC: readonly (readonly string[])[] = SYNONYMS.map((list) => list.map(normalize));

export function isClassId(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < NUM_IMAGENET_CLASSES;
}

/** The full comma-separated name of a class, or `class N` for an id outside ImageNet-1k. */
export function className(id: number): string {
  return isClassId(id) ? IMAGENET_CLASSES[id] : `class ${id}`;
}

/** The first (most common) synonym: 281 -> "tabby". */
export function shortClassName(id: number): string {
  return isClassId(id) ? SYNONYMS[id][0] : `class ${id}`;
}

/** All synonyms of a class: 281 -> ["tabby", "tabby cat"]. */
export function classSynonyms(id: number): readonly string[] {
  return isClassId(id) ? SYNONYMS[id] : [];
}

export interface ClassMatch {
  id: number;
  /** Full comma-separated name. */
  name: string;
  /** The synonym (or id) that matched best. */
  matched: string;
  /** Higher is better. */
  score: number;
}

export interface SearchOptions {
  /** At most this many results (default: all). */
  limit?: number;
  /** Only these class ids (e.g. the classes a small model was trained on). */
  restrictTo?: Iterable<number> | null;
}

function normalize(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\u2018\u2019']/g, "'")
    .replace(/[^a-z0-9' ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

// Scores, highest first. A match on the first synonym (the class's usual name) beats the same
// kind of match on a later synonym. A query that is the last word of a name ("cat" in "tiger cat",
// "dog" in "Eskimo dog": the head noun) ranks above plain prefixes ("catamaran").
const EXACT = 1000;
const ENDS_WITH_WORD = 850;
const STARTS_WITH_WORD = 800;
const PREFIX = 750;
const WHOLE_WORD = 700;
const WORD_PREFIX = 600;
const ALL_WORDS = 450;
const SUBSTRING = 300;

function scoreSynonym(syn: string, q: string, qWords: string[]): number {
  if (syn === q) return EXACT;
  if (syn.endsWith(' ' + q)) return ENDS_WITH_WORD;
  if (syn.startsWith(q + ' ')) return STARTS_WITH_WORD;
  if (syn.startsWith(q)) return PREFIX;
  const padded = ' ' + syn + ' ';
  if (padded.includes(' ' + q + ' ')) return WHOLE_WORD;
  if (padded.includes(' ' + q)) return WORD_PREFIX;
  if (qWords.length > 1) {
    // Every query word starts some word of the synonym, in any order ("retriever golden").
    const words = syn.split(' ');
    if (qWords.every((qw) => words.some((w) => w.startsWith(qw)))) return ALL_WORDS;
  }
  if (syn.includes(q)) return SUBSTRING;
  return 0;
}

/**
 * Searches class names and ids. Matches any synonym; ranks exact names first, then names ending or
 * starting with the query as a whole word, then prefixes, whole words elsewhere, word prefixes,
 * then substrings; a numeric query finds that class id first.
 * Ties go to the class whose matching synonym comes earlier, is shorter, then to the lower id.
 */
export function searchClasses(query: string, options: SearchOptions = {}): ClassMatch[] {
  const q = normalize(query);
  const allowed = options.restrictTo ? new Set(options.restrictTo) : null;
  const limit = options.limit ?? Infinity;
  if (!q) {
    const ids = allowed ? [...allowed].filter(isClassId).sort((a, b) => a - b) : IMAGENET_CLASSES.map((_, i) => i);
    return ids.slice(0, limit).map((id) => ({ id, name: IMAGENET_CLASSES[id], matched: SYNONYMS[id][0], score: 0 }));
  }
  const qWords = q.split(' ');
  const results: (ClassMatch & { synIndex: number; synLength: number })[] = [];
  const idQuery = /^#?\d+$/.test(query.trim()) ? Number(query.trim().replace('#', '')) : null;
  for (let id = 0; id < NUM_IMAGENET_CLASSES; id++) {
    if (allowed && !allowed.has(id)) continue;
    let best = 0;
    let matched = '';
    let synIndex = 0;
    if (idQuery !== null && idQuery === id) {
      best = EXACT + 100;
      matched = String(id);
    }
    const syns = SYNONYMS_LC[id];
    for (let i = 0; i < syns.length; i++) {
      // The first synonym gets a small bonus so "crane" the bird (134, "crane") and the machine
      // (517, "crane") both rank above "whooping crane".
      const s = scoreSynonym(syns[i], q, qWords);
      const sc = s > 0 ? s + (i === 0 ? 20 : 0) : 0;
      if (sc > best) {
        best = sc;
        matched = SYNONYMS[id][i];
        synIndex = i;
      }
    }
    if (best > 0) {
      results.push({ id, name: IMAGENET_CLASSES[id], matched, score: best, synIndex, synLength: matched.length });
    }
  }
  results.sort((a, b) => b.score - a.score || a.synLength - b.synLength || a.synIndex - b.synIndex || a.id - b.id);
  return results.slice(0, limit).map(({ id, name, matched, score }) => ({ id, name, matched, score }));
}

/**
 * Resolves a class given as an id ("281", 281) or a name ("tabby cat", "tabby"): an exact id, else
 * an exact synonym match (the lowest id if several classes share it, e.g. "crane"), else the best
 * search match. Returns null when nothing matches.
 */
export function resolveClass(idOrName: string | number, restrictTo?: Iterable<number> | null): number | null {
  if (typeof idOrName === 'number') return isClassId(idOrName) ? idOrName : null;
  const text = idOrName.trim();
  if (/^#?\d+$/.test(text)) {
    const id = Number(text.replace('#', ''));
    return isClassId(id) ? id : null;
  }
  const [best] = searchClasses(text, { limit: 1, restrictTo });
  return best ? best.id : null;
}

/** All class ids, or the allowed subset, as a sorted array. */
export function classIds(restrictTo?: Iterable<number> | null): number[] {
  if (!restrictTo) return IMAGENET_CLASSES.map((_, i) => i);
  return [...new Set(restrictTo)].filter(isClassId).sort((a, b) => a - b);
}
