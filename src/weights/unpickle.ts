/**
 * A pickle reader that builds inert values and never runs anything. Globals resolve only through
 * the caller's allowlist, and "calling" one (REDUCE, NEWOBJ) invokes the caller's TypeScript
 * stand-in for it. Every length is checked against the bytes left before anything is allocated,
 * and each opcode consumes at least one byte, so time stays linear in the input. Memory is bounded
 * apart from the input's size: a one-byte opcode can build a 200-byte dict, so every value, slot
 * and memo entry is charged to a MemoryBudget (budget.ts) before it is built, and MARK nesting and
 * the stack's depth have their own limits.
 * Covers the binary opcodes of protocols 2-4 (what torch.save writes) and the MARK-based
 * container opcodes; protocol 0 text opcodes, extension registry codes and protocol 5
 * out-of-band buffers are refused.
 */
import { MemoryBudget } from './budget.ts';
import { WeightsError } from './errors.ts';

/** A tuple: a frozen array, so APPEND on it is refused. */
export type PyTuple = readonly PyValue[];

/**
 * None is null; bool, str as themselves; int a number (a bigint past 2^53); float a number;
 * bytes a Uint8Array; list an array; tuple a frozen array; dict a Map; set a Set; globals
 * PyGlobal; inert instances PyObject; anything else is whatever a stand-in returned.
 */
export type PyValue = null | boolean | number | bigint | string | object;

/** A reference to an allowlisted global (`collections.OrderedDict`), usable only through its stand-in. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualifiedName(): string { return `${this.module}.${this.name}`; }
}

/** An instance of an allowlisted plain class (`argparse.Namespace`): its class, arguments and state, nothing more. */
export class PyObject {
  state: PyValue = null;
  constructor(readonly cls: PyGlobal, readonly args: PyTuple) {}
}

/** What an allowlisted global may be used for. */
export interface GlobalStandIn {
  /** REDUCE: `global(*args)`. */
  call?(args: PyTuple): PyValue;
  /** NEWOBJ: `cls.__new__(cls, *args)`; omit for the inert PyObject. */
  newObject?(args: PyTuple): PyValue;
  /** Whether NEWOBJ may build an inert PyObject of this class. */
  inertObject?: boolean;
}

export interface UnpickleOptions {
  /** Allowed globals by `module.name`. Any other global is refused. */
  globals: Record<string, GlobalStandIn>;
  /** Resolves BINPERSID ids; without it, persistent ids are refused. */
  persistentLoad?(pid: PyValue): PyValue;
  /** Names the pickle in error messages. */
  name?: string;
  /** Largest integer encoding accepted, in bytes (default 64). */
  maxLongBytes?: number;
  /** Heap the unpickled values may take, estimated as they are built (default PICKLE_MEMORY_BUDGET). */
  maxMemoryBytes?: number;
  /** Says what genuine pickles of this kind need, for the refusal message. */
  realNeed?: string;
}

/**
 * Default memory budget. Real torch.save pickles are charged 20-30 bytes per byte of pickle
 * (DiT-XL/2's 50 KB pickle about 1.1 MiB), so this is about 60 times that and fits any real
 * pickle under torch-zip's MAX_PICKLE_BYTES.
 */
export const PICKLE_MEMORY_BUDGET = 64 * 1024 * 1024;
/** MARKs open at once; real pickles nest a handful (a dict in a tuple in a call). */
export const MAX_MARK_DEPTH = 1000;
/** Values on the stack at once; Python writes lists, dicts and sets in batches of 1000. */
export const MAX_STACK = 100_000;

/**
 * Heap estimates in bytes (64-bit V8, on the high side), charged before each allocation. Measured
 * against V8 in tests/unit/weights/memory-budget.test.ts: a bomb refused at the budget raised the
 * process's peak memory by less than the budget (at most about 55 MiB).
 */
const COST = {
  /** A stack, list or tuple slot: 8 bytes plus growth slack. */
  slot: 16,
  /** An empty list or tuple, or the fresh stack a MARK starts. */
  array: 64,
  /** An empty dict or set: the object and its first hash table. */
  map: 256,
  /** A dict, set or memo entry: key, value, chain link, bucket and growth slack. */
  entry: 64,
  /** A boxed number (floats, and integers past the small-integer range). */
  number: 16,
  /** A global, an inert object, or what a stand-in returns, before its contents. */
  object: 64,
  /** A string, plus 2 bytes per character. */
  string: 32,
  /** A bytes object (an ArrayBuffer and its view), plus its length. */
  bytes: 128,
} as const;

const PY2_MODULES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

export function isTuple(v: unknown): v is PyTuple {
  return Array.isArray(v) && Object.isFrozen(v);
}

export function isList(v: unknown): v is PyValue[] {
  return Array.isArray(v) && !Object.isFrozen(v);
}

const tuple = (items: PyValue[]): PyTuple => Object.freeze(items);

export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PyValue {
  const name = options.name ?? 'pickle';
  const maxLong = options.maxLongBytes ?? 64;
  const budget = new MemoryBudget(
    options.maxMemoryBytes ?? PICKLE_MEMORY_BUDGET,
    options.realNeed ?? 'real checkpoint pickles need well under 1 MiB',
    (msg) => fail(msg),
  );
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  let pos = 0;
  let opPos = 0;
  // As in CPython: MARK saves the current stack on the metastack and starts an empty one.
  let stack: PyValue[] = [];
  const metastack: PyValue[][] = [];
  const memo = new Map<number, PyValue>();

  const fail = (msg: string, code: 'bad-pickle' | 'unsupported' = 'bad-pickle'): never => {
    throw new WeightsError(code, `${name}: ${msg} (at byte ${opPos})`);
  };
  const need = (n: number) => {
    if (n < 0 || n > bytes.byteLength - pos) fail(`needs ${n} more bytes but only ${bytes.byteLength - pos} remain`);
  };
  const u8 = () => { need(1); return bytes[pos++]; };
  const u16 = () => { need(2); const v = dv.getUint16(pos, true); pos += 2; return v; };
  const u32 = () => { need(4); const v = dv.getUint32(pos, true); pos += 4; return v; };
  const i32 = () => { need(4); const v = dv.getInt32(pos, true); pos += 4; return v; };
  const u64 = () => {
    need(8);
    const lo = dv.getUint32(pos, true);
    const hi = dv.getUint32(pos + 4, true);
    pos += 8;
    if (hi >= 2 ** 21) fail('64-bit length is too large');
    return hi * 2 ** 32 + lo;
  };
  const take = (n: number) => { need(n); const b = bytes.subarray(pos, pos + n); pos += n; return b; };
  const text = (n: number) => {
    need(n);
    budget.charge('strings', COST.string + 2 * n);
    const b = take(n);
    try { return utf8.decode(b); } catch { return fail('string is not valid UTF-8'); }
  };
  const latin1Text = (n: number) => {
    need(n);
    budget.charge('strings', COST.string + 2 * n);
    return latin1.decode(take(n));
  };
  const byteString = (n: number) => {
    need(n);
    budget.charge('bytes objects', COST.bytes + n);
    return take(n).slice();
  };
  const line = () => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) fail('unterminated text line');
    budget.charge('strings', COST.string + 2 * (nl - pos));
    const s = latin1.decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const long = (n: number): number | bigint => {
    if (n > maxLong) fail(`integer of ${n} bytes is larger than the ${maxLong}-byte limit`);
    budget.charge('numbers', COST.number + n);
    const b = take(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  const push = (v: PyValue) => {
    if (stack.length >= MAX_STACK) fail(`more than ${MAX_STACK} values on the stack at once (real pickles batch theirs by 1000)`);
    budget.charge('stack slots', COST.slot);
    stack.push(v);
  };
  /** Pays for a new container (or boxed value) about to be pushed, with room for `items` entries. */
  const build = (kind: string, base: number, items = 0, perItem = 0) => budget.charge(kind, base + items * perItem);
  const mark = () => {
    if (metastack.length >= MAX_MARK_DEPTH) fail(`MARKs nested more than ${MAX_MARK_DEPTH} deep`);
    budget.charge('MARKs', COST.array + COST.slot);
    metastack.push(stack);
    stack = [];
  };
  const pop = (): PyValue => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  /** The items pushed since the last MARK; restores the stack below it. */
  const popMark = (): PyValue[] => {
    const items = stack;
    if (metastack.length === 0) fail('no MARK to pop to');
    stack = metastack.pop()!;
    return items;
  };
  const memoPut = (i: number) => {
    const v = top();
    if (!memo.has(i)) budget.charge('memo entries', COST.entry);
    memo.set(i, v);
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) fail(`memo key ${i} was never stored`);
    push(memo.get(i)!);
  };
  const resolveGlobal = (rawModule: string, qual: string): PyGlobal => {
    // Protocol 2 writes Python 2 module names; Python 3 maps them back the same way on load.
    const module = PY2_MODULES[rawModule] ?? rawModule;
    const key = `${module}.${qual}`;
    if (!Object.hasOwn(options.globals, key)) {
      fail(`refusing the global "${key}": only tensors and plain data are read, nothing is executed`, 'unsupported');
    }
    budget.charge('globals', COST.object + 2 * key.length);
    return new PyGlobal(module, qual);
  };
  /** Runs a caller's stand-in; whatever it throws becomes a WeightsError naming this pickle and position. */
  const guarded = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      const code = e instanceof WeightsError ? e.code : 'bad-pickle';
      return fail(e instanceof Error ? e.message : String(e), code === 'unsupported' ? 'unsupported' : 'bad-pickle');
    }
  };
  const standIn = (g: PyValue, what: string): [PyGlobal, GlobalStandIn] => {
    if (!(g instanceof PyGlobal)) fail(`${what} of something that is not an allowed global`);
    return [g as PyGlobal, options.globals[(g as PyGlobal).qualifiedName]];
  };
  const asTuple = (v: PyValue, what: string): PyTuple => {
    if (!Array.isArray(v)) fail(`${what} arguments are not a tuple`);
    return v as PyTuple;
  };
  const setItems = (target: PyValue, kv: PyValue[]) => {
    if (!(target instanceof Map)) fail('SETITEM on something that is not a dict');
    if (kv.length % 2) fail('odd number of items for SETITEMS');
    budget.charge('dict entries', COST.entry * (kv.length / 2), kv.length / 2);
    for (let i = 0; i < kv.length; i += 2) (target as Map<PyValue, PyValue>).set(kv[i], kv[i + 1]);
  };
  const appendItems = (target: PyValue, items: PyValue[]) => {
    if (!isList(target)) fail('APPEND to something that is not a list');
    budget.charge('list items', COST.slot * items.length, items.length);
    for (const x of items) (target as PyValue[]).push(x);
  };
  const addItems = (target: PyValue, items: PyValue[]) => {
    if (!(target instanceof Set)) fail('ADDITEMS to something that is not a set');
    budget.charge('set items', COST.entry * items.length, items.length);
    for (const x of items) (target as Set<PyValue>).add(x);
  };

  for (;;) {
    opPos = pos;
    const op = u8();
    switch (op) {
      case 0x80: { const proto = u8(); if (proto > 5) fail(`pickle protocol ${proto} is newer than 5`); break; } // PROTO
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: return pop(); // STOP
      case 0x28: mark(); break; // MARK
      case 0x29: build('tuples', COST.array); push(tuple([])); break; // EMPTY_TUPLE
      // TUPLE and LIST keep the array MARK started, whose slots are paid for.
      case 0x74: build('tuples', COST.array); push(tuple(popMark())); break; // TUPLE
      case 0x85: { build('tuples', COST.array, 1, COST.slot); const a = pop(); push(tuple([a])); break; } // TUPLE1
      case 0x86: { build('tuples', COST.array, 2, COST.slot); const b = pop(); const a = pop(); push(tuple([a, b])); break; } // TUPLE2
      case 0x87: { build('tuples', COST.array, 3, COST.slot); const c = pop(); const b = pop(); const a = pop(); push(tuple([a, b, c])); break; } // TUPLE3
      case 0x5d: build('lists', COST.array); push([]); break; // EMPTY_LIST
      case 0x6c: build('lists', COST.array); push(popMark()); break; // LIST
      case 0x7d: build('dicts', COST.map); push(new Map()); break; // EMPTY_DICT
      case 0x64: { build('dicts', COST.map); const m = new Map<PyValue, PyValue>(); setItems(m, popMark()); push(m); break; } // DICT
      case 0x8f: build('sets', COST.map); push(new Set()); break; // EMPTY_SET
      case 0x91: { const items = popMark(); build('sets', COST.map, items.length, COST.entry); push(new Set(items)); break; } // FROZENSET
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x90: { const items = popMark(); addItems(top(), items); break; } // ADDITEMS
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4a: build('numbers', COST.number); push(i32()); break; // BININT (may be past the small-integer range)
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x8a: push(long(u8())); break; // LONG1
      case 0x8b: { const n = i32(); if (n < 0) fail('negative LONG4 length'); push(long(n)); break; } // LONG4
      case 0x47: { need(8); build('numbers', COST.number); push(dv.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x58: push(text(u32())); break; // BINUNICODE
      case 0x8c: push(text(u8())); break; // SHORT_BINUNICODE
      case 0x8d: push(text(u64())); break; // BINUNICODE8
      case 0x54: { const n = i32(); if (n < 0) fail('negative BINSTRING length'); push(latin1Text(n)); break; } // BINSTRING
      case 0x55: push(latin1Text(u8())); break; // SHORT_BINSTRING
      case 0x42: push(byteString(u32())); break; // BINBYTES
      case 0x43: push(byteString(u8())); break; // SHORT_BINBYTES
      case 0x8e: push(byteString(u64())); break; // BINBYTES8
      case 0x71: memoPut(u8()); break; // BINPUT
      case 0x72: memoPut(u32()); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size); break; // MEMOIZE
      case 0x68: memoGet(u8()); break; // BINGET
      case 0x6a: memoGet(u32()); break; // LONG_BINGET
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      case 0x63: { const module = line(); push(resolveGlobal(module, line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const qual = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof qual !== 'string') fail('STACK_GLOBAL needs two strings');
        push(resolveGlobal(module as string, qual as string));
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) fail('persistent ids are not allowed here', 'unsupported');
        build('stand-in results', COST.object);
        push(guarded(() => options.persistentLoad!(pid)));
        break;
      }
      case 0x52: { // REDUCE
        const args = asTuple(pop(), 'REDUCE');
        const [g, impl] = standIn(pop(), 'REDUCE');
        if (!impl.call) fail(`"${g.qualifiedName}" cannot be called`, 'unsupported');
        chargeStandIn(args);
        push(guarded(() => impl.call!(args)));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = asTuple(pop(), 'NEWOBJ');
        push(newObject(pop(), args));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        if (!(kwargs instanceof Map) || kwargs.size > 0) fail('NEWOBJ_EX with keyword arguments', 'unsupported');
        const args = asTuple(pop(), 'NEWOBJ_EX');
        push(newObject(pop(), args));
        break;
      }
      case 0x62: { // BUILD: only inert objects keep their state; a dict's attribute state is dropped
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        else if (obj === null || typeof obj !== 'object') fail('BUILD on a plain value');
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  /**
   * A stand-in may copy its arguments one level deep (OrderedDict turns a list of n pairs into n
   * entries) and can be called again and again on the same memoized arguments, so each call pays
   * for that copy.
   */
  function chargeStandIn(args: PyTuple): void {
    let items = args.length;
    let chars = 0;
    for (const a of args) {
      if (Array.isArray(a)) items += a.length;
      else if (a instanceof Map || a instanceof Set) items += a.size;
      else if (typeof a === 'string') chars += a.length;
      else if (a instanceof Uint8Array) chars += a.byteLength;
    }
    budget.charge('stand-in results', COST.object + COST.entry * items + 2 * chars);
  }

  function newObject(cls: PyValue, args: PyTuple): PyValue {
    const [g, impl] = standIn(cls, 'NEWOBJ');
    chargeStandIn(args);
    if (impl.newObject) return guarded(() => impl.newObject!(args));
    if (!impl.inertObject) fail(`"${g.qualifiedName}" cannot be instantiated`, 'unsupported');
    return new PyObject(g, args);
  }
}
