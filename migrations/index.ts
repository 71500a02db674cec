// The ordered list of migrations. Names sort by time; add new files here.
import type { Migration } from 'kysely';
import * as m0001 from './2026_11_23_0001_platform.ts';
import * as m0002 from './2026_11_23_0002_inventory.ts';
import * as m0003 from './2026_11_23_0003_tagging.ts';
import * as m0004 from './2026_12_06_0004_job_input_digest.ts';
import * as m0005 from './2026_12_06_0005_webhooks.ts';
import * as m0006 from './2026_12_06_0006_findings.ts';
import * as m0007 from './2026_12_06_0007_reports.ts';
import * as m0008 from './2026_12_07_0008_sessions.ts';
import * as m0009 from './2026_12_07_0009_rules_version.ts';
import * as m0010 from './2026_12_07_0010_event_outbox.ts';

export const migrations: Record<string, Migration> = {
  '2026_11_23_0001_platform': m0001,
  '2026_11_23_0002_inventory': m0002,
  '2026_11_23_0003_tagging': m0003,
  '2026_12_06_0004_job_input_digest': m0004,
  '2026_12_06_0005_webhooks': m0005,
  '2026_12_06_0006_findings': m0006,
  '2026_12_06_0007_reports': m0007,
  '2026_12_07_0008_sessions': m0008,
  '2026_12_07_0009_rules_version': m0009,
  '2026_12_07_0010_event_outbox': m0010,
};
