import { main } from "./main.js";
import type { Io } from "./io.js";

/** Runs the CLI in-process and captures its output (dbt's run_dbt, for Ferry). */
export async function runFerry(argv: string[], options: { cwd: string; env?: Record<string, string | undefined>; signal?: AbortSignal }) {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: options.env ?? {},
    cwd: options.cwd,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
