import { readdir, readFile } from "node:fs/promises";

/**
 * CPU seconds spent so far by the sandbox, by PostgreSQL's processes, and by the whole machine
 * (busy and available), from /proc: where the run's time goes outside the Ferry process, and
 * whether the machine was saturated. Undefined where there is no /proc.
 */
export type Cpu = { sandbox: number; postgres: number; busy: number; total: number };
const TICK = 100; // USER_HZ, 100 on every Linux ABI Node supports
export async function cpuSnapshot(sandboxPid?: number): Promise<Cpu | undefined> {
  const ticks = async (pid: string) => {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    const close = stat.lastIndexOf(")");
    if (close < 0) return { comm: "", seconds: 0 };
    const f = stat
      .slice(close + 2)
      .split(" ")
      .map(Number);
    // utime, stime, cutime, cstime (fields 14 to 17 of stat): a backend that exits mid-run
    // leaves its time in the postmaster's cutime, so the sum stays whole.
    return { comm: stat.slice(stat.indexOf("(") + 1, close), seconds: (f[11]! + f[12]! + f[13]! + f[14]!) / TICK };
  };
  const machine = await readFile("/proc/stat", "utf8").catch(() => undefined);
  if (!machine) return undefined;
  const cpu = machine.split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0) / TICK;
  const idle = ((cpu[3] ?? 0) + (cpu[4] ?? 0)) / TICK;
  let postgres = 0;
  for (const pid of (await readdir("/proc")).filter((d) => /^\d+$/.test(d))) {
    const t = await ticks(pid);
    if (t.comm === "postgres") postgres += t.seconds;
  }
  return { sandbox: sandboxPid ? (await ticks(String(sandboxPid))).seconds : 0, postgres, busy: total - idle, total };
}
