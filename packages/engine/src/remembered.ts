import { hash } from "node:crypto";
import { eventFingerprint, type MapResult } from "@ferry/tiktok";
import { rememberedOf, selectedColumns, type Row } from "@ferry/warehouse";
import type { SyncPlan } from "./compile/compile.js";

// Fingerprints stored by versions that computed them in the warehouse: 64 hex characters.
const LEGACY = 64;

type Planned = Pick<SyncPlan, "extraction" | "mappingDigest">;

/** What a run or a preview needs to tell a remembered rejection from a changed row. */
export interface RejectionMemory {
  /**
   * SHA-256 (base64url) of the mapping's digest and of every extracted value as the driver read
   * it, type and length marked, so that no two different rows share a text. Computed in Ferry,
   * and only for the rows it rejects: the warehouse no longer hashes every row to compare.
   */
  fingerprint(row: Row): string;
  /**
   * Whether a row the warehouse returned with a remembered rejection is to be passed over, as
   * the warehouse used to: a row the mapper rejects again with the values it had, or whose
   * event is the one TikTok refused. A fixed row, a changed one or a changed mapping is read as
   * new. A fingerprint of an earlier version cannot be recomputed: such a row is passed over
   * while the mapper still rejects it, and a refused event is offered to TikTok once more (its
   * new refusal stores a fingerprint of this version).
   */
  unchanged(row: Row, result: MapResult): boolean;
}

/** The plan's columns are resolved once, not once a rejected row. */
export function rejectionMemory(plan: Planned): RejectionMemory {
  const columns = selectedColumns(plan.extraction);
  const fingerprint = (row: Row) => {
    let text = plan.mappingDigest;
    for (const column of columns) text += `\u001f${valueText(row[column])}`;
    return hash("sha256", text, "base64url");
  };
  return {
    fingerprint,
    unchanged(row, result) {
      const remembered = rememberedOf(row);
      if (!remembered) return false;
      // (An earlier version's fingerprint never equals an event's: they differ in length.)
      if (remembered.reason === "tiktok_refused") return result.ok && eventFingerprint(result.event) === remembered.fingerprint;
      return !result.ok && (remembered.fingerprint.length === LEGACY || fingerprint(row) === remembered.fingerprint);
    },
  };
}

function valueText(v: unknown): string {
  if (v === null || v === undefined) return "n";
  if (typeof v === "string") return `s${v.length}:${v}`;
  if (typeof v === "number" || typeof v === "bigint") return `d${String(v)}`;
  if (typeof v === "boolean") return `b${String(v)}`;
  if (v instanceof Date) return `t${String(v.getTime())}`;
  if (v instanceof Uint8Array) return `x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex")}`;
  return `j${JSON.stringify(v, (_, x: unknown) => (typeof x === "bigint" ? String(x) : x))}`;
}
