/**
 * Report retention as a timer in every process that runs the worker (server or `infracast worker`): hourly,
 * deletes the reports that completed more than INFRACAST_REPORT_RETENTION_DAYS ago. Instances running it at
 * once delete disjoint rows or nothing (a deleted row is not found twice).
 */
import { type Periodic, startPeriodic } from '../../platform/periodic.ts';

export function startReportRetention(
  reports: { deleteExpired(): Promise<number> },
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void },
  opts: { intervalMs?: number; firstDelayMs?: number } = {},
): Periodic {
  return startPeriodic(
    async () => {
      const deleted = await reports.deleteExpired();
      if (deleted > 0) log.info({ deleted }, 'deleted reports past their retention');
    },
    {
      intervalMs: opts.intervalMs ?? 3_600_000,
      firstDelayMs: opts.firstDelayMs ?? 60_000 + Math.floor(Math.random() * 60_000),
      onError: (err) => log.error({ err }, 'report retention failed'),
    },
  );
}
