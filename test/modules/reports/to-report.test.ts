/** A report as the API shows it, from its row and its job's: status, step, completion and expiry. */
import { describe, expect, it } from 'vitest';
import { toReport } from '../../../src/modules/reports/service.ts';
import type { ReportRecord } from '../../../src/modules/reports/store.ts';

const record = (job: Partial<ReportRecord>): ReportRecord => ({
  id: 'rpt_01JD3Y7J9Q8Z5T6W2X4C8V0B1N',
  tenant_id: 'ten_1',
  job_id: 'job_1',
  type: 'inventory',
  format: 'csv',
  name: 'Inventory',
  filters: '{}',
  content_key: null,
  row_count: null,
  size_bytes: null,
  sha256: null,
  generated_at: null,
  created_by: null,
  created_at: '2026-12-07T10:00:00.000Z',
  job_status: 'queued',
  job_error: null,
  job_step: 'queued',
  job_progress: 0,
  started_at: null,
  finished_at: null,
  ...job,
});

describe('toReport', () => {
  it('shows what a running report is doing, and nothing once it has ended', () => {
    const running = toReport(
      record({
        job_status: 'running',
        job_step: 'writing (1200 rows)',
        job_progress: 40,
        started_at: '2026-12-07T10:00:01.000Z',
      }),
      'acme',
    );
    expect(running).toMatchObject({ status: 'running', progress: 40, step: 'writing (1200 rows)', completed_at: null });
    expect(toReport(record({}), 'acme')).toMatchObject({ status: 'queued', progress: 0, step: null });
    expect(toReport(record({ job_status: 'failed', job_progress: 70 }), 'acme')).toMatchObject({
      status: 'failed',
      progress: 70,
      step: null,
    });
    const done = toReport(
      record({
        job_status: 'succeeded',
        job_step: 'done',
        row_count: 3,
        finished_at: '2026-12-07T10:00:02.000Z',
      }),
      'acme',
      86_400_000,
    );
    expect(done).toMatchObject({
      status: 'succeeded',
      progress: 100,
      step: null,
      completed_at: '2026-12-07T10:00:02.000Z',
      expires_at: '2026-12-08T10:00:02.000Z',
      download_url: '/api/v1/tenants/acme/reports/rpt_01JD3Y7J9Q8Z5T6W2X4C8V0B1N/download',
    });
  });
});
