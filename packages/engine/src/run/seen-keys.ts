/**
 * The primary keys a run has met, to tell a duplicate from a first occurrence. Keys are SHA-256
 * hex; the first 64 bits of each are kept in a table of two 32-bit words a slot, because a Set of
 * a million 64-character strings holds over 100 MB where this holds 16 MB. Two different keys
 * share 64 bits with a probability of about 3e-8 in a run of a million: the later one would be
 * reported as a duplicate. Plain code: its time is under 5% of a run (bench/FINDINGS.md#seen-keys).
 */
export class SeenKeys {
  private hi = new Uint32Array(1 << 12);
  private lo = new Uint32Array(1 << 12);
  private used = new Uint8Array(1 << 12);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the key; false when it was already there. */
  add(pkHash: string): boolean {
    const hi = parseInt(pkHash.slice(0, 8), 16) >>> 0;
    const lo = parseInt(pkHash.slice(8, 16), 16) >>> 0;
    if ((this.count + 1) * 2 > this.used.length) this.grow();
    return this.insert(hi, lo);
  }

  private insert(hi: number, lo: number): boolean {
    const mask = this.used.length - 1;
    // SHA-256 bits are uniform already: the low word is the slot, probed linearly.
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      if (!this.used[i]) {
        this.used[i] = 1;
        this.hi[i] = hi;
        this.lo[i] = lo;
        this.count++;
        return true;
      }
      if (this.hi[i] === hi && this.lo[i] === lo) return false;
    }
  }

  private grow(): void {
    const { hi, lo, used } = this;
    this.hi = new Uint32Array(used.length * 2);
    this.lo = new Uint32Array(used.length * 2);
    this.used = new Uint8Array(used.length * 2);
    this.count = 0;
    for (let i = 0; i < used.length; i++) if (used[i]) this.insert(hi[i]!, lo[i]!);
  }
}
