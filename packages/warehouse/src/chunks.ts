import { hash } from "node:crypto";
import type { Remembered, Row, RowChunk } from "./contract.js";
import { HIDDEN } from "./sql/render.js";

/** SHA-256 in hex, one-shot (createHash cost twice as much a key). */
export const sha256 = (s: string): string => hash("sha256", s, "hex");

/** A copy of a string that refers to nothing else: see bench/FINDINGS.md#own-text. */
export const ownText = (text: string): string => ` ${text}`.slice(1);

/** Where a column of the new-rows query goes in a chunk. */
export type Slot = "row" | "key" | "keyText" | "probeA" | "probeB" | "reason" | "fingerprint";

const SLOTS: Record<string, Slot> = {
  [HIDDEN.key]: "key",
  [HIDDEN.keyText]: "keyText",
  [HIDDEN.probeA]: "probeA",
  [HIDDEN.probeB]: "probeB",
  [HIDDEN.reason]: "reason",
  [HIDDEN.fingerprint]: "fingerprint",
};

export const slotOf = (column: string): Slot => SLOTS[column] ?? "row";

/**
 * Fills RowChunks from rows read with the hidden columns: each reader calls `add` with the
 * segment's values (a row of its own) and the hidden ones.
 */
export class ChunkBuilder {
  private chunk = ChunkBuilder.empty();
  constructor(private readonly size: number) {}

  private static empty(): { rows: Row[]; keys: (string | null)[]; probes: (string | undefined)[]; remembered: (Remembered | undefined)[] } {
    return { rows: [], keys: [], probes: [], remembered: [] };
  }

  /** `probeA`/`probeB` as the driver read them (text or number); `keyText` is hashed here. */
  add(row: Row, key: unknown, keyText: unknown, probeA: unknown, probeB: unknown, reason: unknown, fingerprint: unknown): void {
    const c = this.chunk;
    c.rows.push(row);
    c.keys.push(typeof keyText === "string" ? sha256(keyText) : typeof key === "string" ? key : null);
    c.probes.push(probeA === null || probeA === undefined ? undefined : ownText(`${String(probeA)}/${String(probeB)}`));
    c.remembered.push(typeof reason === "string" ? { reason, fingerprint: String(fingerprint) } : undefined);
  }

  /** A row holding every column of the query, the hidden ones split off. */
  addRow(all: Row, columns: readonly string[]): void {
    const row: Row = {};
    for (const c of columns) row[c] = all[c];
    this.add(
      row,
      all[HIDDEN.key],
      all[HIDDEN.keyText],
      all[HIDDEN.probeA],
      all[HIDDEN.probeB],
      all[HIDDEN.reason],
      all[HIDDEN.fingerprint],
    );
  }

  get full(): boolean {
    return this.chunk.rows.length >= this.size;
  }

  get length(): number {
    return this.chunk.rows.length;
  }

  /** The chunk so far; the builder starts a new one. */
  take(): RowChunk {
    const taken = this.chunk;
    this.chunk = ChunkBuilder.empty();
    return taken;
  }
}

/** Chunks of rows that carry every column of the new-rows query. */
export async function* toChunks(raw: AsyncIterable<Row[]>, columns: readonly string[], size: number): AsyncGenerator<RowChunk> {
  const builder = new ChunkBuilder(size);
  for await (const rows of raw) {
    for (const row of rows) {
      builder.addRow(row, columns);
      if (builder.full) yield builder.take();
    }
  }
  if (builder.length) yield builder.take();
}

/** A driver's rows in chunks of `size` (each through `each`, if given), stopping after a chunk once `signal` aborts. */
export async function* inChunks(
  rows: AsyncIterable<Row> | Iterable<Row>,
  size: number,
  signal?: AbortSignal,
  each: (row: Row) => Row = (row) => row,
): AsyncGenerator<Row[]> {
  let chunk: Row[] = [];
  const take = () => {
    const taken = chunk;
    chunk = [];
    return taken;
  };
  if (Symbol.asyncIterator in rows) {
    for await (const row of rows) {
      if (chunk.push(each(row)) < size) continue;
      yield take();
      if (signal?.aborted) return;
    }
  } else {
    // A synchronous iterator (SQLite's) is read without an await a row.
    for (const row of rows) {
      if (chunk.push(each(row)) < size) continue;
      yield take();
      if (signal?.aborted) return;
    }
  }
  if (chunk.length) yield chunk;
}
