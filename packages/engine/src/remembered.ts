import { hash } from "node:crypto";
import { eventFingerprint, type MapResult } from "@ferry/tiktok";
import { selectedColumns, type Remembered, type Row } from "@ferry/warehouse";
import type { SyncPlan } from "./compile/compile.js";

type Planned = Pick<SyncPlan, "extraction" | "mappingDigest">;

/** What a run or a preview needs to tell a remembered rejection from a changed row. */
export interface RejectionMemory {
  /**
   * SHA-256 (base64url) of the mapping's digest and of every extracted value as the driver read
   * it, type and length marked, so that no two different rows share a text. Computed in Ferry,
   * and only for the rows it rejects.
   */
  fingerprint(row: Row): string;
  /**
   * Whether a row the warehouse returned with a remembered rejection is to be passed over: a
   * row the mapper rejects again with the values it had, or whose event is the one TikTok
   * refused. A fixed row, a changed one or a changed mapping is read as new.
   */
  unchanged(remembered: Remembered | undefined, row: Row, result: MapResult): boolean;
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
    unchanged(remembered, row, result) {
      if (!remembered) return false;
      if (remembered.reason === "tiktok_refused") return result.ok && eventFingerprint(result.event) === remembered.fingerprint;
      return !result.ok && fingerprint(row) === remembered.fingerprint;
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
