import { describe, expect, it } from 'vitest';
import { WeightsError } from '../../../src/weights/errors.ts';
import { TORCH_GLOBALS } from '../../../src/weights/torch-zip.ts';
import { isList, isTuple, PyGlobal, PyObject, unpickle, type PyValue } from '../../../src/weights/unpickle.ts';
import { fixture } from '../../support/torch-fixtures.ts';
import { PickleBuilder } from '../../support/zip-writer.ts';

const read = (b: Uint8Array | PickleBuilder) => unpickle(b instanceof PickleBuilder ? b.done() : b, { globals: TORCH_GLOBALS, name: 't.pkl' });

function refusal(b: Uint8Array | PickleBuilder): WeightsError {
  try {
    read(b);
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsError);
    expect((e as Error).message).toMatch(/^t\.pkl: /);
    return e as WeightsError;
  }
  throw new Error('expected a refusal');
}

describe('unpickle', () => {
  it.each([2, 4])('reads plain data written by Python with protocol %i', (proto) => {
    const v = read(fixture(`plain-p${proto}.pkl`)) as Map<string, PyValue>;
    expect(v).toBeInstanceOf(Map);
    expect(v.get('ints')).toEqual([0, 1, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31, 2n ** 63n, -(2n ** 70n)]);
    expect(v.get('floats')).toEqual([0.5, -1e300, Infinity]);
    expect(v.get('strs')).toEqual(['', 'é', 'x'.repeat(300)]);
    expect(v.get('bytes')).toEqual(Uint8Array.of(0, 255, 97, 98));
    const tuples = v.get('tuples') as PyValue[];
    expect(isList(tuples)).toBe(true);
    expect(tuples.every(isTuple)).toBe(true);
    expect(tuples).toEqual([[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4]]);
    const nested = v.get('nested') as Map<PyValue, PyValue>;
    expect((nested.get('a') as Map<string, PyValue>).get('b')).toEqual([null, true, false]);
    expect(nested.get(7)).toBe('int key');
    expect(v.get('set')).toEqual(new Set([1, 2]));
    expect(v.get('frozen')).toEqual(new Set([3]));
    const shared = v.get('shared') as PyValue[];
    expect(shared[0]).toBe(shared[1]);
    const args = v.get('args') as PyObject;
    expect(args).toBeInstanceOf(PyObject);
    expect(args.cls.qualifiedName).toBe('argparse.Namespace');
    expect(args.state).toEqual(new Map<string, PyValue>([['lr', 0.5], ['name', 'x']]));
  });

  it('handles MARK-based containers, DUP, POP, POP_MARK, long memo keys and LONG4', () => {
    const ok = new PickleBuilder().proto()
      .mark().int(1).int(2).op(0x6c)
      .op(0x32).op(0x30)
      .mark().str('k').int(3).op(0x64)
      .op(0x72).raw([0, 0, 1, 0])
      .mark().int(9).op(0x31)
      .op(0x6a).raw([0, 0, 1, 0])
      .op(0x8b).raw([2, 0, 0, 0, 0xff, 0x7f])
      .op(0x43).raw([2, 1, 2])
      .op(0x42).raw([1, 0, 0, 0, 7])
      .mark().op(0x4e).op(0x88).op(0x89).op(0x4b).raw([5]).op(0x4d).raw([1, 1]).op(0x47).raw([0x3f, 0xf0, 0, 0, 0, 0, 0, 0]).op(0x55).raw([1, 0x41]).op(0x54).raw([1, 0, 0, 0, 0x42]).op(0x8c).raw([1, 0x43]).tuple()
      .op(0x87) // TUPLE3 (bytes, bytes, tuple)
      .op(0x87) // TUPLE3 (dict from memo, 32767, that tuple)
      .op(0x86) // TUPLE2 (dict, that tuple)
      .op(0x86) // TUPLE2 (list, that tuple)
      .stop();
    const [list, [dict, [again, long, [b1, b2, t]]]] = read(ok) as any;
    expect(list).toEqual([1, 2]);
    expect(dict).toEqual(new Map([['k', 3]]));
    expect(again).toBe(dict);
    expect(long).toBe(32767);
    expect([b1, b2]).toEqual([Uint8Array.of(1, 2), Uint8Array.of(7)]);
    expect(t).toEqual([null, true, false, 5, 257, 1, 'A', 'B', 'C']);
  });

  it.each([
    ['a truncated pickle', new PickleBuilder().proto().str('abc').done().subarray(0, 6), 'bad-pickle', /needs/],
    ['a huge string length', Uint8Array.of(0x80, 2, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x2e), 'bad-pickle', /needs 2147483647 more bytes/],
    ['a huge BINUNICODE8 length', Uint8Array.of(0x80, 4, 0x8d, 0, 0, 0, 0, 0, 0, 0x10, 0, 0x2e), 'bad-pickle', /needs/],
    ['a giant integer', Uint8Array.of(0x80, 2, 0x8b, 0, 0, 1, 0, 0x2e), 'bad-pickle', /integer of 65536 bytes/],
    ['a missing memo key', new PickleBuilder().proto().get(3).stop().done(), 'bad-pickle', /memo key 3/],
    ['a stack underflow', new PickleBuilder().proto().op(0x85).stop().done(), 'bad-pickle', /underflow/],
    ['an unmatched POP_MARK', new PickleBuilder().proto().op(0x31).stop().done(), 'bad-pickle', /MARK/],
    ['APPEND to a tuple', new PickleBuilder().proto().emptyTuple().int(1).append().stop().done(), 'bad-pickle', /not a list/],
    ['SETITEM on a list', new PickleBuilder().proto().emptyList().int(1).int(2).setitem().stop().done(), 'bad-pickle', /not a dict/],
    ['protocol 6', Uint8Array.of(0x80, 6, 0x4e, 0x2e), 'bad-pickle', /protocol 6/],
    ['a protocol 0 opcode', Uint8Array.of(0x49, 0x31, 0x0a, 0x2e), 'bad-pickle', /opcode 0x49/],
    ['no STOP', Uint8Array.of(0x80, 2, 0x4e), 'bad-pickle', /needs 1 more/],
    ['a persistent id with no loader', new PickleBuilder().proto().str('x').persid().stop().done(), 'unsupported', /persistent/],
    ['calling a storage type', new PickleBuilder().proto().global('torch', 'FloatStorage').emptyTuple().reduce().stop().done(), 'unsupported', /cannot be called/],
    ['instantiating OrderedDict via NEWOBJ', new PickleBuilder().proto().global('collections', 'OrderedDict').emptyTuple().op(0x81).stop().done(), 'unsupported', /cannot be instantiated/],
    ['_codecs.encode to another codec', new PickleBuilder().proto().global('_codecs', 'encode').str('x').str('rot13').op(0x86).reduce().stop().done(), 'unsupported', /latin1/],
  ])('refuses %s', (_what, bytes, code, message) => {
    const e = refusal(bytes);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  it('keeps globals as inert references', () => {
    const g = read(new PickleBuilder().proto().global('collections', 'OrderedDict').stop());
    expect(g).toBeInstanceOf(PyGlobal);
    expect((g as PyGlobal).qualifiedName).toBe('collections.OrderedDict');
  });

  it('stays linear on deep nesting (no recursion)', () => {
    const depth = 100_000;
    const b = new Uint8Array(2 + depth * 2 + 1);
    b.set([0x80, 2]);
    for (let i = 0; i < depth; i++) b[2 + i] = 0x5d; // EMPTY_LIST x depth
    for (let i = 0; i < depth - 1; i++) b[2 + depth + i] = 0x61; // APPEND: nest them
    b[2 + 2 * depth - 1] = 0x2e;
    let v = read(b.subarray(0, 2 + 2 * depth)) as PyValue[];
    let n = 1;
    while (v.length) { v = v[0] as PyValue[]; n++; }
    expect(n).toBe(depth);
  });
});
