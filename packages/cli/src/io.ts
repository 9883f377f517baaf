/** Everything a command touches outside itself, so tests drive `main` like a process. */
export interface Io {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborts long commands (Ctrl-C). */
  signal?: AbortSignal;
}

/** The one exit-code table. */
export const EXIT = {
  ok: 0,
  /** Invalid config, failed run. */
  failed: 1,
  /** Success with warnings, only with --fail-on-warnings. */
  warnings: 2,
  /** Bad command line. */
  usage: 64,
  /** Stopped by Ctrl-C or SIGTERM: a stop is not a success, whatever had run. */
  interrupted: 130,
} as const;

export class UsageError extends Error {}

export const color = (io: Io, enabled = io.stdout.isTTY === true && !io.env["NO_COLOR"]) => {
  const wrap = (code: number) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap(31), yellow: wrap(33), green: wrap(32), dim: wrap(2), bold: wrap(1), cyan: wrap(36) };
};
