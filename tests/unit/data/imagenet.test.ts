import { describe, expect, it } from 'vitest';
import {
  IMAGENET_CLASSES,
  className,
  classSynonyms,
  resolveClass,
  searchClasses,
  shortClassName,
} from '../../../src/data/imagenet';

describe('ImageNet class names', () => {
  it('has the 1000 classes in ILSVRC order', () => {
    expect(IMAGENET_CLASSES).toHaveLength(1000);
    expect(className(0)).toBe('tench, Tinca tinca');
    expect(className(281)).toBe('tabby, tabby cat');
    expect(className(207)).toBe('golden retriever');
    expect(className(999)).toBe('toilet tissue, toilet paper, bathroom tissue');
    expect(shortClassName(281)).toBe('tabby');
    expect(classSynonyms(281)).toEqual(['tabby', 'tabby cat']);
    expect(className(1000)).toBe('class 1000');
  });
});

describe('searchClasses', () => {
  it('finds a class by any synonym', () => {
    expect(searchClasses('tabby')[0].id).toBe(281);
    expect(searchClasses('tabby cat')[0].id).toBe(281);
    // A later synonym: "man-eater" is the 3rd name of 2 (great white shark).
    expect(searchClasses('man-eater')[0].id).toBe(2);
    expect(searchClasses('carcharodon')[0].id).toBe(2);
    // Case and surrounding spaces do not matter.
    expect(searchClasses('  Golden RETRIEVER ')[0].id).toBe(207);
  });

  it('finds a class by id', () => {
    const [first] = searchClasses('281');
    expect(first.id).toBe(281);
    expect(first.matched).toBe('281');
    expect(searchClasses('#1')[0].id).toBe(1);
    expect(searchClasses('0')[0].id).toBe(0);
  });

  it('ranks exact, whole-word and prefix matches before substrings', () => {
    // "cat" is not a class by itself: the head-noun matches come first ("tiger cat", "Persian cat"),
    // then names starting with the word, then prefixes ("catamaran"), then substrings.
    const res = searchClasses('cat');
    const top = res.slice(0, 5).map((m) => m.matched.toLowerCase());
    for (const name of top) expect(name.endsWith(' cat')).toBe(true);
    expect(res.map((m) => m.id)).toContain(281); // "tabby cat" (a second synonym)
    const order = (pred: (s: string) => boolean) => res.findIndex((m) => pred(m.matched.toLowerCase()));
    const lastHeadNoun = res.length - 1 - [...res].reverse().findIndex((m) => m.matched.toLowerCase().endsWith(' cat'));
    const prefix = order((s) => s.startsWith('cat') && !s.startsWith('cat '));
    const substring = order((s) => !s.split(' ').some((w) => w.startsWith('cat')));
    expect(res[prefix].matched).toBe('catamaran');
    expect(prefix).toBeGreaterThan(lastHeadNoun);
    expect(substring).toBeGreaterThan(prefix);
    const scores = res.map((m) => m.score);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
    // Names starting with the query beat a whole word in the middle of a name.
    expect(searchClasses('gold')[0].id).toBe(1); // goldfish, not "black and gold garden spider"
    expect(searchClasses('dog').slice(0, 3).every((m) => m.matched.toLowerCase().endsWith('dog'))).toBe(true);
  });

  it('prefers the exact name over longer names containing it', () => {
    const res = searchClasses('crane');
    // Two classes are called exactly "crane": 134 (the bird) and 517 (the machine).
    expect(res.slice(0, 2).map((m) => m.id)).toEqual([134, 517]);
    expect(searchClasses('goldfish')[0].id).toBe(1);
  });

  it('matches multi-word queries in any order', () => {
    expect(searchClasses('white shark')[0].id).toBe(2);
    expect(searchClasses('retriever golden')[0].id).toBe(207);
  });

  it('limits and restricts results', () => {
    expect(searchClasses('dog', { limit: 5 })).toHaveLength(5);
    expect(searchClasses('cat', { restrictTo: [281, 1] }).map((m) => m.id)).toEqual([281]);
    // An empty query lists the allowed classes in id order.
    expect(searchClasses('', { restrictTo: [9, 3, 281] }).map((m) => m.id)).toEqual([3, 9, 281]);
    expect(searchClasses('', { limit: 3 }).map((m) => m.id)).toEqual([0, 1, 2]);
    expect(searchClasses('zzzzqqq')).toEqual([]);
  });
});

describe('resolveClass', () => {
  it('accepts ids', () => {
    expect(resolveClass(281)).toBe(281);
    expect(resolveClass('281')).toBe(281);
    expect(resolveClass(' 7 ')).toBe(7);
    expect(resolveClass('1000')).toBeNull();
    expect(resolveClass(-1)).toBeNull();
    expect(resolveClass(2.5)).toBeNull();
  });

  it('accepts names and synonyms', () => {
    expect(resolveClass('tabby cat')).toBe(281);
    expect(resolveClass('Tabby')).toBe(281);
    expect(resolveClass('golden retriever')).toBe(207);
    expect(resolveClass('crane')).toBe(134);
    expect(resolveClass('no such thing at all')).toBeNull();
    expect(resolveClass('cat', [281, 282])).not.toBeNull();
  });
});
