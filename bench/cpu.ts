/**
 * CPU time spent during a measurement, by this process and by the PostgreSQL
 * server (its postmaster and every child: backends, WAL writer...), read from
 * /proc. On a shared, noisy machine CPU per job is steadier than wall time.
 * The server's share is only known when the server runs on this machine.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** The postmaster's pid, from postmaster.pid in the data directory, when that is readable here. */
export async function postmasterPid(admin: pg.Pool): Promise<number | undefined> {
  try {
    const { rows } = await admin.query<{ data_directory: string }>('show data_directory');
    const firstLine = readFileSync(path.join(rows[0]!.data_directory, 'postmaster.pid'), 'utf8');
    return Number(firstLine.split('\n')[0]);
  } catch {
    return undefined;
  }
}

/** CPU ms per pid of the server: the postmaster and its children. */
function serverCpu(postmaster: number): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // fields after the parenthesised command name: state ppid ... utime(14) stime(15)
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(entry);
    if (pid !== postmaster && Number(fields[1]) !== postmaster) continue;
    cpu.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND);
  }
  return cpu;
}

export interface CpuMeter {
  /** CPU ms since start: this process, and the server (undefined when not measurable). */
  stop(): { processMs: number; serverMs: number | undefined };
}

export function startCpuMeter(postmaster: number | undefined): CpuMeter {
  const processStart = process.cpuUsage();
  const serverStart = postmaster === undefined ? undefined : serverCpu(postmaster);
  return {
    stop() {
      const used = process.cpuUsage(processStart);
      let serverMs: number | undefined;
      if (postmaster !== undefined && serverStart) {
        serverMs = 0;
        // a backend that exited meanwhile is not counted; one that started is counted whole
        for (const [pid, ms] of serverCpu(postmaster)) serverMs += ms - (serverStart.get(pid) ?? 0);
      }
      return { processMs: (used.user + used.system) / 1000, serverMs };
    },
  };
}
