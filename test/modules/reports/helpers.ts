/** Helpers for the report tests: asking for a report, and one that must be generated and downloadable. */
import { expect } from 'vitest';
import type { TestApp } from '../../helpers/app.ts';
import { runQueuedJobs } from '../jobs/helpers.ts';

type Headers = Record<string, string>;

/** POST /reports/generate as `headers`. */
export function generateReport(t: TestApp, headers: Headers, payload: Record<string, unknown>, tenant = 'acme') {
  return t.app.inject({ method: 'POST', url: `/api/v1/tenants/${tenant}/reports/generate`, headers, payload });
}

/**
 * Generates a report as `who.editor`, runs the queued jobs, and downloads it as `who.viewer`;
 * each step must succeed. Returns the report and the download.
 */
export async function makeReport(
  t: TestApp,
  who: { editor: Headers; viewer: Headers },
  payload: Record<string, unknown>,
  tenant = 'acme',
) {
  const res = await generateReport(t, who.editor, payload, tenant);
  expect(res.statusCode, res.body).toBe(202);
  await runQueuedJobs(t);
  const url = `/api/v1/tenants/${tenant}/reports/${res.json().data.id}`;
  const report = (await t.app.inject({ url, headers: who.viewer })).json().data;
  expect(report.status, JSON.stringify(report)).toBe('succeeded');
  const dl = await t.app.inject({ url: report.download_url, headers: who.viewer });
  expect(dl.statusCode, dl.body).toBe(200);
  return { report, dl };
}
