/**
 * When each event_id of one deduplication scope was first seen, for TikTok's 48-hour
 * deduplication. An open-addressing table of 32-bit hashes in typed arrays, not a Map: a Map
 * lookup that misses, as nearly every new event's does, reads a bucket, about two chained
 * entries and their key strings, each a cache miss once the map holds a million ids. It cost the
 * sandbox about 1 of its 5 CPU-seconds a million events; here a miss is one slot, and a key
 * string is read only when its hash matches (measured on a million ids: 0.71-0.84 -> 0.34-0.59 s).
 */
export class FirstSeen {
  /** Index into ids and times of the id in each slot, -1 for an empty slot. */
  private slots = new Int32Array(1 << 10).fill(-1);
  /** The hash of the id in each slot (compared before the id itself). */
  private hashes = new Int32Array(1 << 10);
  private mask = (1 << 10) - 1;
  /** Ids in the order first seen, and when (renewed once expired). */
  private readonly ids: string[] = [];
  private readonly times: number[] = [];

  /**
   * Whether `id` was seen less than `windowSeconds` before `at`. If not, it counts as seen at
   * `at` from now on.
   */
  seenWithin(id: string, at: number, windowSeconds: number): boolean {
    const hash = hashOf(id);
    const slot = this.find(id, hash);
    const index = this.slots[slot]!;
    if (index >= 0) {
      if (at - this.times[index]! < windowSeconds) return true;
      this.times[index] = at;
      return false;
    }
    this.slots[slot] = this.ids.length;
    this.hashes[slot] = hash;
    this.ids.push(id);
    this.times.push(at);
    // At most half full, so that a probe for a new id ends after a slot or two.
    if (this.ids.length * 2 > this.mask) this.grow();
    return false;
  }

  /** The ids seen, in the order first seen. */
  seenIds(): string[] {
    return [...this.ids];
  }

  /** The slot holding `id`, or the empty slot where it belongs (linear probing). */
  private find(id: string, hash: number): number {
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const index = this.slots[slot]!;
      if (index < 0 || (this.hashes[slot] === hash && this.ids[index] === id)) return slot;
    }
  }

  private grow() {
    const slots = this.slots;
    const hashes = this.hashes;
    this.mask = slots.length * 2 - 1;
    this.slots = new Int32Array(slots.length * 2).fill(-1);
    this.hashes = new Int32Array(slots.length * 2);
    for (let old = 0; old < slots.length; old++) {
      if (slots[old]! < 0) continue;
      let slot = hashes[old]! & this.mask;
      while (this.slots[slot]! >= 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = slots[old]!;
      this.hashes[slot] = hashes[old]!;
    }
  }
}

/**
 * FNV-1a over UTF-16 code units, then MurmurHash3's finaliser: a multiplication carries only
 * upwards, so without it the low bits, which pick the slot, would see only the characters' low bits.
 */
export function hashOf(text: string): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}
