// Reads a JSON request body the way JSON.parse(Buffer.concat(chunks).toString("utf8")) does, in
// pieces. A batch of 1,000 events is ~320 KB: as one Buffer and one string it is two large
// allocations per request, which V8 and malloc map and unmap each time. On this project's 2-core
// machine the two cost the sandbox ~1.8 of its ~7.5 CPU-seconds per million events, most of it
// in the kernel, taken from the Ferry process it shares the machine with in the benchmark.
// Copying into one reused buffer, and parsing the top-level members one by one and the events of
// `data` ~48 KB at a time, keeps every string small; the tokens are still JSON.parse's, so what
// is valid JSON and what it means are unchanged. Anything unexpected goes to JSON.parse of the
// whole body.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Bodies read by JSON.parse whole, for the test that holds real batches to the fast path. */
export const wholeParses = { count: 0 };

/** Grown to the largest body seen and reused: parsing is synchronous, so one is enough. */
let scratch = Buffer.allocUnsafe(0);
/** Larger bodies (no real batch is: 1,000 events) get a buffer of their own, not kept. */
const SCRATCH_MAX = 4 * 1024 * 1024;

/** Thrown inside the fast path when the body is not in the expected shape; never escapes. */
const UNEXPECTED = Symbol("unexpected");

const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(b: Buffer, i: number, end: number): number {
  while (i < end && isSpace(b[i])) i++;
  return i;
}

/** Index after the string that opens at `i` (a quote), or -1 if it does not close. */
function afterString(b: Buffer, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = b[j];
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/**
 * Index of the comma or closing bracket that ends the value starting at `i`, at this depth (with
 * `commas` false: of the closing bracket only); -1 if there is none. Brackets are only counted,
 * not matched: JSON.parse of the slice checks them.
 */
function endOfValue(b: Buffer, i: number, end: number, commas = true): number {
  let depth = 0;
  for (let j = i; j < end; j++) {
    const c = b[j];
    if (c === QUOTE) {
      const after = afterString(b, j, end);
      if (after < 0) return -1;
      j = after - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 0) return j;
      depth--;
    } else if (commas && c === COMMA && depth === 0) return j;
  }
  return -1;
}

const parseSlice = (b: Buffer, start: number, end: number): unknown => JSON.parse(b.toString("utf8", start, end));

/** Bytes of events parsed at once: well under V8's large-object size (128 KB). */
const GROUP_BYTES = 48 * 1024;
/** Where two events of `data` meet in compact JSON; only a candidate, JSON.parse confirms it. */
const BETWEEN_OBJECTS = Buffer.from("},{");

/**
 * The elements from `open` (a "[" or the comma before the next element) up to `close` (a comma
 * or the "]"), parsed as one array by writing "[" and "]" over those two bytes for the moment.
 * Undefined where that is not an array: the comma was not between two elements after all.
 */
function parseGroup(b: Buffer, open: number, close: number): unknown[] | undefined {
  const first = b[open]!;
  const last = b[close]!;
  b[open] = OPEN_BRACKET;
  b[close] = CLOSE_BRACKET;
  try {
    return JSON.parse(b.toString("utf8", open, close + 1)) as unknown[];
  } catch {
    return undefined;
  } finally {
    b[open] = first;
    b[close] = last;
  }
}

/**
 * The array opening at `i`, parsed ~48 KB of elements at a time; returns the index after its
 * "]". A group is cut where "},{" follows its first 48 KB, with no scan of the bytes before;
 * only the last group is scanned, for the array's end. A cut that falls inside a string or a
 * nested array leaves a group that is not a valid array (an open string or bracket), so it
 * cannot pass for one: the caller falls back to JSON.parse of the whole body.
 */
function parseArray(b: Buffer, i: number, end: number, into: unknown[], groupBytes: number): number {
  let open = i;
  for (;;) {
    const cut = open + groupBytes < end ? b.indexOf(BETWEEN_OBJECTS, open + groupBytes) : -1;
    const close = cut >= 0 ? cut + 1 : endOfValue(b, open + 1, end, false);
    if (close < 0) throw UNEXPECTED;
    if (cut < 0 && b[close] !== CLOSE_BRACKET) throw UNEXPECTED;
    const group = parseGroup(b, open, close);
    if (group === undefined) throw UNEXPECTED;
    for (let k = 0; k < group.length; k++) into.push(group[k]);
    if (cut < 0) return close + 1;
    open = close;
  }
}

/** A top-level object whose members are parsed one by one, and its `data` array in groups. */
function parseObject(b: Buffer, end: number, groupBytes: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  let at = skipSpace(b, 0, end);
  if (b[at] !== OPEN_BRACE) throw UNEXPECTED;
  at = skipSpace(b, at + 1, end);
  if (b[at] === CLOSE_BRACE) at++;
  else {
    for (;;) {
      if (b[at] !== QUOTE) throw UNEXPECTED;
      const keyEnd = afterString(b, at, end);
      if (keyEnd < 0) throw UNEXPECTED;
      const key = parseSlice(b, at, keyEnd) as string;
      at = skipSpace(b, keyEnd, end);
      if (b[at] !== COLON) throw UNEXPECTED;
      at = skipSpace(b, at + 1, end);
      let value: unknown;
      if (key === "data" && b[at] === OPEN_BRACKET) {
        const events: unknown[] = [];
        at = parseArray(b, at, end, events, groupBytes);
        value = events;
      } else {
        const stop = endOfValue(b, at, end);
        if (stop < 0) throw UNEXPECTED;
        value = parseSlice(b, at, stop);
        at = stop;
      }
      // As JSON.parse: an own property even for "__proto__", and the last duplicate wins.
      Object.defineProperty(result, key, { value, writable: true, enumerable: true, configurable: true });
      at = skipSpace(b, at, end);
      if (b[at] === COMMA) {
        at = skipSpace(b, at + 1, end);
        continue;
      }
      if (b[at] !== CLOSE_BRACE) throw UNEXPECTED;
      at++;
      break;
    }
  }
  if (skipSpace(b, at, end) !== end) throw UNEXPECTED;
  return result;
}

/**
 * JSON.parse of the chunks' UTF-8 text: the same value, or a SyntaxError where it throws one.
 * `groupBytes` is for tests, which cut small bodies as often as a real one is cut.
 */
export function parseJsonBody(chunks: readonly Buffer[], groupBytes = GROUP_BYTES): unknown {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  if (length > SCRATCH_MAX) return parseBytes(Buffer.concat(chunks, length), groupBytes);
  if (scratch.length < length) scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX, Math.max(length, scratch.length * 2)));
  let offset = 0;
  for (const chunk of chunks) {
    scratch.set(chunk, offset);
    offset += chunk.length;
  }
  // A view of exactly this body: a byte read one past its end is undefined, not a stale byte
  // of a longer body before it.
  return parseBytes(scratch.subarray(0, length), groupBytes);
}

function parseBytes(bytes: Buffer, groupBytes: number): unknown {
  const length = bytes.length;
  try {
    return parseObject(bytes, length, groupBytes);
  } catch {
    // Not an object, not valid JSON, or a piece that did not parse: JSON.parse of the whole
    // text decides, with its own value or its own error.
    wholeParses.count++;
    return JSON.parse(bytes.toString("utf8"));
  }
}
