import { finished } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { AckedRow, AckLog } from "../contract.js";
import { WarehouseError } from "../errors.js";

// PostgreSQL records acknowledgements by COPY into a log without a unique key
// (bench/FINDINGS.md#acked-log): nothing needs the uniqueness, as the anti-join reads the log
// as a set, a run records only keys its query found missing (under the lock), and a full
// refresh forgets the records it superseded.

/** Lines a part of the encoded text: about 50 KB (one string a batch would be a large object). */
const COPY_ROWS = 250;
/** A run's first buffer: a group of five thousand keys, and a batch more. */
const ACK_BUFFER_BYTES = 2 * 1024 * 1024;

/** Holds nothing COPY's text format would read as a delimiter, a line end or an escape. */
const plain = (value: string) => value.indexOf("\t") < 0 && value.indexOf("\n") < 0 && value.indexOf("\r") < 0 && value.indexOf("\\") < 0;

const refusal = () => new WarehouseError("query", "refusing to record an acknowledgement with an unexpected key, event id, time or probe");

const recordable = (r: AckedRow) =>
  r.pkHash.length === 64 &&
  plain(r.pkHash) &&
  r.eventId.length > 0 &&
  plain(r.eventId) &&
  Number.isSafeInteger(r.eventTime) &&
  (r.probe === undefined || plain(r.probe));

/**
 * A batch's acknowledgements as lines of COPY's text format. A value that would shift the
 * columns or read as an escape is refused. Event times go through toFixed, not String:
 * bench/FINDINGS.md#number-strings.
 */
function encode(activation: string, runId: string, rows: readonly AckedRow[]): string[] {
  if (!rows.every(recordable)) throw refusal();
  const fixed = `\t${runId}\t${Date.now()}\t`;
  const parts: string[] = [];
  for (let i = 0; i < rows.length; i += COPY_ROWS) {
    const lines = rows.slice(i, i + COPY_ROWS).map((r) => {
      const probe = r.probe === undefined ? "\\N\t\\N" : r.probe.replace("/", "\t");
      return `${activation}\t${r.pkHash}\t${r.eventId}\t${r.eventTime.toFixed(0)}${fixed}${probe}\n`;
    });
    parts.push(lines.join(""));
  }
  return parts;
}

/**
 * The encoded lines go into one buffer kept for the whole run and reused once its COPY is done:
 * a buffer a group outlived young-generation collections (bench/FINDINGS.md#ack-buffer).
 */
export function copyAckLog(
  withConnection: <T>(fn: (conn: pg.PoolClient) => Promise<T>) => Promise<T>,
  table: string,
  activation: string,
  runId: string,
): AckLog {
  if (!(plain(activation) && plain(runId))) throw refusal();
  let buffer: Buffer = Buffer.allocUnsafeSlow(0);
  const spare: Buffer[] = [];
  let used = 0;
  let size = 0;
  const write = (text: string) => {
    const bytes = Buffer.byteLength(text);
    if (used + bytes > buffer.length) {
      const larger = Buffer.allocUnsafeSlow(Math.max(2 * buffer.length, used + bytes, ACK_BUFFER_BYTES));
      buffer.copy(larger, 0, 0, used);
      buffer = larger;
    }
    used += buffer.write(text, used);
  };
  const copy = (data: Buffer) =>
    withConnection(async (conn) => {
      const stream = conn.query(
        copyFrom(`COPY ${table} (activation, pk_hash, event_id, event_time, run_id, acked_at, probe_a, probe_b) FROM STDIN`),
      );
      const done = finished(stream);
      // One buffer, one write: each write is a message and a system call of its own.
      stream.end(data);
      await done;
    });
  return {
    get size() {
      return size;
    },
    add(batch) {
      for (const part of encode(activation, runId, batch)) write(part);
      size += batch.length;
    },
    async flush() {
      // Nothing kept: the buffer stays, rather than going to waste for a spare or a new one.
      if (size === 0) return 0;
      const [kept, keptBytes, n] = [buffer, used, size];
      [buffer, used, size] = [spare.pop() ?? Buffer.allocUnsafeSlow(0), 0, 0];
      await copy(kept.subarray(0, keptBytes));
      // Taken by the server: the buffer may hold the next group (after a failure it is not reused).
      spare.push(kept);
      return n;
    },
  };
}
