/** Benchmark settings (`npm run bench:worker`), validated by the one config module. */
import { bool, num } from 'envalid';
import { ConfigError, loadSettings, postgresUrl } from '../runtime/config.js';

export function loadBenchSettings(source?: NodeJS.ProcessEnv): {
  databaseUrl: string | undefined;
  jobs: number;
  orgs: number;
  rounds: number;
  /** bench:worker: each round also drains the pipeline with the live-progress NOTIFY trigger disabled. */
  notifyOff: boolean;
} {
  const e = loadSettings(
    {
      BENCH_DATABASE_URL: postgresUrl({
        default: undefined,
        desc: 'a URL that may create databases and roles; unset starts an embedded PostgreSQL',
      }),
      BENCH_JOBS: num({ default: 5_000 }),
      BENCH_ORGS: num({ default: 50 }),
      BENCH_ROUNDS: num({
        default: 1,
        desc: 'bench:worker rounds, interleaved; more than one adds medians',
      }),
      BENCH_WORKER_NOTIFY_OFF: bool({
        default: false,
        desc: 'bench:worker: also run the pipeline without the job_events NOTIFY trigger, alternating',
      }),
    },
    source,
  );
  if (!Number.isInteger(e.BENCH_ROUNDS) || e.BENCH_ROUNDS < 1) {
    throw new ConfigError('BENCH_ROUNDS: must be a whole number, at least 1');
  }
  return {
    databaseUrl: e.BENCH_DATABASE_URL,
    jobs: e.BENCH_JOBS,
    orgs: e.BENCH_ORGS,
    rounds: e.BENCH_ROUNDS,
    notifyOff: e.BENCH_WORKER_NOTIFY_OFF,
  };
}
