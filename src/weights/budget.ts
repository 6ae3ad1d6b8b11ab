/**
 * A memory budget for parsers of untrusted files. Before a parser builds something it charges an
 * estimate of the heap that will take (on the high side: V8's object headers, hash tables and
 * growth slack included); once the total passes the limit the parser is stopped, with a message
 * saying how much memory the file asked for and what for. The total only grows, so it bounds the
 * peak as well as what is kept, and as each charge is paid before its allocation, a hostile file
 * never gets more than one step past the limit.
 */
const MiB = 1024 * 1024;

export class MemoryBudget {
  private used = 0;
  private readonly spent = new Map<string, { bytes: number; count: number }>();

  /**
   * @param realNeed what genuine files need, so the refusal explains itself ("DiT-XL/2's pickle takes 0.3 MiB").
   * @param fail     throws the parser's own error for a message (it adds the file name and position).
   */
  constructor(
    readonly limitBytes: number,
    private readonly realNeed: string,
    private readonly fail: (message: string) => never,
  ) {}

  get usedBytes(): number { return this.used; }

  /** Pays for `count` things of one kind, `bytes` in all; throws once the limit is passed. */
  charge(kind: string, bytes: number, count = 1): void {
    this.used += bytes;
    let s = this.spent.get(kind);
    if (!s) this.spent.set(kind, (s = { bytes: 0, count: 0 }));
    s.bytes += bytes;
    s.count += count;
    if (this.used > this.limitBytes) this.refuse();
  }

  private refuse(): never {
    const [kind, top] = [...this.spent].sort((a, b) => b[1].bytes - a[1].bytes)[0];
    return this.fail(
      `reading it would take more than the ${formatBytes(this.limitBytes)} memory budget (most of it for ${top.count} ${kind}); ` +
      `${this.realNeed}, so the file is damaged or hostile`,
    );
  }
}

/** 33554432 → "32 MiB", 51200 → "50 KiB". */
export function formatBytes(bytes: number): string {
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
