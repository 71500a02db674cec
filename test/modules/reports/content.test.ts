/**
 * Report documents kept in files (SQLite): a generation that fails or is cancelled while its document is
 * being written rejects `save` with that error and leaves no file behind (it used to leave the error
 * unhandled on the stream, which ended the whole process).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileReportContents } from '../../../src/modules/reports/content.ts';
import type { Db } from '../../../src/platform/db/index.ts';

const TENANT = 'ten_01M985VA3FCKKZYHJ33ZHQEX49';
const REPORT = 'rpt_01M98611KK5RYANNDA4HMQ51WX';

describe('report documents in files', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('a generation that throws midway rejects save with its error and keeps nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'infracast-report-contents-'));
    dirs.push(dir);
    // save never reaches the database when the chunks fail.
    const contents = fileReportContents(dir, {} as Db);
    const cancelled = new Error('job interrupted: cancelled');
    async function* chunks() {
      yield 'id,name\r\n';
      await new Promise((r) => setTimeout(r, 5));
      yield 'a,b\r\n';
      throw cancelled;
    }
    let committed = false;
    const saved = contents.save({ tenantId: TENANT, reportId: REPORT, attempt: 1, extension: 'csv' }, chunks(), () => {
      committed = true;
      return Promise.resolve(null);
    });
    await expect(saved).rejects.toBe(cancelled);
    expect(committed).toBe(false);
    expect(await readdir(join(dir, TENANT))).toEqual([]);
  });
});
