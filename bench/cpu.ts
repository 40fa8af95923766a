/**
 * CPU accounting from /proc (Linux), so a report can show two things wall-clock
 * numbers hide on a shared machine: the CPU time each measured server spent
 * per request (not inflated by waiting for a core), and how much of the
 * machine other processes used during a run. Elsewhere every figure is NaN and
 * the report shows "n/a".
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const available = existsSync('/proc/stat');

const ticksPerSecond = (() => {
  if (!available) return 100;
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time of the whole machine that was not idle, in ms. Interrupt time is
 * left out: loopback traffic of the bench itself is partly handled there and
 * belongs to no process, so counting it would blame others for our own load.
 * Steal (time the hypervisor gave to other machines) counts as other load.
 */
function machineBusyMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , , , steal = 0] = fields;
  return ((user + nice + system + steal) * 1000) / ticksPerSecond;
}

/** User + system CPU time of a process (all its threads), in ms; NaN once it has exited. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces; fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}

export interface CpuWindow {
  /** CPU ms of each watched pid during the window */
  byPid: Map<number, number>;
  /** share (0..1) of all cores used by processes other than the watched ones */
  foreign: number;
  seconds: number;
}

/** Starts measuring; the returned function ends the window. `pids` are the bench's own processes (this one included). */
export function startCpuWindow(pids: number[]): () => CpuWindow {
  if (!available) return () => ({ byPid: new Map(pids.map((p) => [p, Number.NaN])), foreign: Number.NaN, seconds: 0 });
  const t0 = performance.now();
  const busy0 = machineBusyMs();
  const own0 = pids.map(processCpuMs);
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const busy = machineBusyMs() - busy0;
    const own = pids.map((p, i) => processCpuMs(p) - own0[i]!);
    const foreignMs = busy - own.reduce((a, b) => a + b, 0);
    return {
      byPid: new Map(pids.map((p, i) => [p, own[i]!])),
      foreign: Math.max(0, foreignMs) / (seconds * 1000 * cpus().length),
      seconds,
    };
  };
}

/** Share of the machine other processes use over `ms`, before the bench loads it. */
export async function idleCheck(ms = 1_000): Promise<number> {
  const end = startCpuWindow([process.pid]);
  await new Promise((r) => setTimeout(r, ms));
  return end().foreign;
}
