import type { Command } from 'commander';
import type { startWorker } from '../../worker.ts';
import { CliError, configFromEnv } from '../shared.ts';

const positiveInt =
  (flag: string, min = 1) =>
  (v: string) => {
    if (!/^\d+$/.test(v) || Number(v) < min) throw new CliError(`${flag} must be an integer ≥ ${min}`, 2);
    return Number(v);
  };

export function registerWorkerCommand(program: Command) {
  program
    .command('worker')
    .description('Run background jobs (discovery) without the HTTP server; several may share a PostgreSQL database')
    .option('--concurrency <n>', 'jobs run at the same time', positiveInt('--concurrency'), 1)
    .option(
      '--lease-seconds <n>',
      'how long a claimed job stays ours without a heartbeat',
      positiveInt('--lease-seconds'),
      30,
    )
    .option('--poll-ms <n>', 'how often to look for queued jobs', positiveInt('--poll-ms', 10), 1000)
    .option(
      '--batch-pause-ms <n>',
      'pause between write batches (throttles large ingests)',
      positiveInt('--batch-pause-ms', 0),
    )
    .addHelpText(
      'after',
      `
Uses the same INFRACAST_* variables as serve (the database above all). On SQLite, the server's own
worker (INFRACAST_WORKER=true, the default) is the simpler setup.

Examples:
  $ INFRACAST_DATABASE_URL=postgres://infracast@db/infracast infracast worker
  $ INFRACAST_DATABASE_URL=postgres://infracast@db/infracast infracast worker --concurrency 2 --batch-pause-ms 20`,
    )
    .action(async (opts: { concurrency: number; leaseSeconds: number; pollMs: number; batchPauseMs?: number }) => {
      const config = configFromEnv();
      // Loaded once the configuration is known to be good (see serve).
      const [{ StartupError }, { startWorker: start }] = await Promise.all([
        import('../../server.ts'),
        import('../../worker.ts'),
      ]);
      let runtime: Awaited<ReturnType<typeof startWorker>>;
      try {
        runtime = await start(config, {
          concurrency: opts.concurrency,
          leaseSeconds: opts.leaseSeconds,
          pollMs: opts.pollMs,
          discovery: opts.batchPauseMs ? { batchPauseMs: opts.batchPauseMs } : {},
        });
      } catch (e) {
        if (e instanceof StartupError) throw new CliError(e.message);
        throw e;
      }
      process.stdout.write(
        `Infracast worker ${runtime.runner.workerId} running ${runtime.services.jobKinds.kinds().join(', ')} jobs (${runtime.database.dialect})\n`,
      );
      let signals = 0;
      const stop = (signal: string) => {
        signals += 1;
        if (signals > 1) process.exit(130); // a second Ctrl-C means now
        runtime.log.info({ signal }, 'shutting down: handing running jobs back to the queue');
        runtime.close().then(
          () => process.exit(0),
          (err) => {
            runtime.log.error({ err }, 'error during shutdown');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
