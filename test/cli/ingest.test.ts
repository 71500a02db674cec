/**
 * `infracast ingest …` against a real `infracast serve` (child process, SQLite,
 * in-process job worker), authenticated with an API key.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe } from '../helpers/cli.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const ADMIN = { email: 'root@example.com', password: 'a long admin password' };

describe('infracast ingest', () => {
  let dir: string;
  let url: string;
  let stop: () => Promise<void>;
  let key: { token: string; client_id: string; secret_key: string };
  let adminToken: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'infracast-ingest-'));
    const serve = await startServe({
      INFRACAST_DATA_DIR: dir,
      INFRACAST_PORT: '0',
      INFRACAST_ADMIN_EMAIL: ADMIN.email,
      INFRACAST_ADMIN_PASSWORD: ADMIN.password,
      INFRACAST_LOG_LEVEL: 'warn',
    });
    url = serve.url;
    stop = () =>
      new Promise((resolve) => {
        serve.child.once('exit', () => resolve());
        serve.child.kill('SIGTERM');
      });
    const login = await fetch(`${url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', ...ADMIN }),
    });
    adminToken = ((await login.json()) as { data: { access_token: string } }).data.access_token;
    const auth = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
    const tenant = await fetch(`${url}/api/v1/tenants`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ slug: 'acme', name: 'Acme', plan: 'enterprise' }),
    });
    expect(tenant.status).toBe(201);
    const created = await fetch(`${url}/api/v1/tenants/acme/tokens`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ description: 'ci', role: 'editor', never_expires: true }),
    });
    key = ((await created.json()) as { data: typeof key }).data;
  }, 60_000);

  afterAll(async () => {
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = () => ({ INFRACAST_TOKEN: key.token });

  it('terraform-state FILE: creates and starts a job, follows it, exits 0 with the counts', async () => {
    const r = await runCli(
      [
        'ingest',
        'terraform-state',
        join(FIXTURES, 'terraform/two-tier.tfstate'),
        '--tenant',
        'acme',
        '--server',
        url,
        '--poll-ms',
        '100',
      ],
      env(),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Created job job_[0-9A-Z]{26} \(terraform_state, \d+ bytes\)/);
    expect(r.stdout).toMatch(/succeeded: 20 created, 0 updated, 0 unchanged, 0 removed, 59 edges/);
    // Not a TTY: plain progress lines, ending with the finished state.
    expect(r.stderr).toMatch(/job_[0-9A-Z]{26}: succeeded 100% done/);

    const again = await runCli(
      [
        'ingest',
        'terraform-state',
        join(FIXTURES, 'terraform/two-tier.tfstate'),
        '--tenant',
        'acme',
        '--server',
        url,
        '--poll-ms',
        '100',
      ],
      env(),
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/succeeded: 0 created, 0 updated, 20 unchanged, 0 removed, 59 edges/);
  });

  it('terraform-plan FILE with client id + secret key credentials', async () => {
    const r = await runCli(
      [
        'ingest',
        'terraform-plan',
        join(FIXTURES, 'terraform/plan.json'),
        '--tenant',
        'acme',
        '--server',
        url,
        '--name',
        'staging plan',
        '--poll-ms',
        '100',
      ],
      { INFRACAST_CLIENT_ID: key.client_id, INFRACAST_SECRET_KEY: key.secret_key },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/succeeded: 12 created/);
    const nodes = await fetch(
      `${url}/api/v1/tenants/acme/nodes/${encodeURIComponent('aws:eu-west-1:aws.ec2.subnet:aws_subnet.app["a"]')}`,
      { headers: { authorization: `Bearer ${key.token}` } },
    );
    expect(nodes.status).toBe(200);
  });

  it('aws-snapshot DIR walks account/region folders', async () => {
    const r = await runCli(
      [
        'ingest',
        'aws-snapshot',
        join(FIXTURES, 'aws-snapshot/two-tier'),
        '--tenant',
        'acme',
        '--server',
        url,
        '--poll-ms',
        '100',
      ],
      env(),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/succeeded: \d+ created, \d+ updated, 0 unchanged, 0 removed, 33 edges/);
    const list = await fetch(`${url}/api/v1/tenants/acme/nodes?source=manual&per_page=1`, {
      headers: { authorization: `Bearer ${key.token}` },
    });
    expect(((await list.json()) as { meta: { total: number } }).meta.total).toBe(0);
  });

  it('aws-snapshot DIR skips empty .json files (a failed AWS CLI call) with a warning, and still refuses invalid JSON', async () => {
    const snap = join(dir, 'snap-with-empty');
    const region = join(snap, '999999999999', 'us-east-1');
    mkdirSync(region, { recursive: true });
    writeFileSync(
      join(region, 'ec2-describe-vpcs.json'),
      JSON.stringify({ Vpcs: [{ VpcId: 'vpc-0e1', CidrBlock: '10.9.0.0/16', OwnerId: '999999999999' }] }),
    );
    writeFileSync(join(region, 'ec2-describe-nat-gateways.json'), '');
    writeFileSync(join(region, 'ec2-describe-subnets.json'), ' \n\t\n');
    const args = ['ingest', 'aws-snapshot', snap, '--tenant', 'acme', '--server', url, '--poll-ms', '100'];
    const r = await runCli(args, env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/succeeded: 1 created, 0 updated, 0 unchanged, 0 removed, 0 edges/);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('infracast: warning: skipping'));
    expect(warnings).toEqual([
      `infracast: warning: skipping ${join(region, 'ec2-describe-nat-gateways.json')}: empty file (a failed AWS CLI call prints nothing)`,
      `infracast: warning: skipping ${join(region, 'ec2-describe-subnets.json')}: empty file (a failed AWS CLI call prints nothing)`,
    ]);

    writeFileSync(join(region, 'ec2-describe-subnets.json'), '{"Subnets": [');
    const invalid = await runCli(args, env());
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/ec2-describe-subnets\.json is not valid JSON/);

    const onlyEmpty = join(dir, 'snap-only-empty');
    mkdirSync(onlyEmpty);
    writeFileSync(join(onlyEmpty, 'vpcs.json'), '');
    const none = await runCli(['ingest', 'aws-snapshot', onlyEmpty, '--tenant', 'acme', '--server', url], env());
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/has no non-empty \.json files/);
  });

  it('a malformed document fails the job: exit 1 with the error naming the field', async () => {
    const file = join(dir, 'broken.tfstate');
    writeFileSync(
      file,
      JSON.stringify({ version: 4, lineage: 'x', resources: [{ mode: 'managed', type: 'aws_vpc' }] }),
    );
    const r = await runCli(
      ['ingest', 'terraform-state', file, '--tenant', 'acme', '--server', url, '--poll-ms', '100'],
      env(),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /failed: INVALID_INPUT: document "terraform_state": resources\[0\]\.name must be a string/,
    );
  });

  it('bad input exits 2: a missing file, invalid JSON, no credentials', async () => {
    const missing = await runCli(
      ['ingest', 'terraform-state', join(dir, 'nope.json'), '--tenant', 'acme', '--server', url],
      env(),
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^infracast: cannot read .*nope\.json: ENOENT/);
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"version": 4,');
    const invalid = await runCli(['ingest', 'terraform-plan', file, '--tenant', 'acme', '--server', url], env());
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/bad\.json is not valid JSON/);
    const noCreds = await runCli(
      ['ingest', 'terraform-state', join(FIXTURES, 'terraform/two-tier.tfstate'), '--tenant', 'acme', '--server', url],
      {},
    );
    expect(noCreds.code).toBe(2);
    expect(noCreds.stderr).toMatch(/INFRACAST_TOKEN/);
    const notDir = await runCli(
      ['ingest', 'aws-snapshot', join(dir, 'missing-dir'), '--tenant', 'acme', '--server', url],
      env(),
    );
    expect(notDir.code).toBe(2);
  });

  it('API errors are reported with the server message: unknown tenant is exit 1', async () => {
    const r = await runCli(
      ['ingest', 'terraform-state', join(FIXTURES, 'terraform/two-tier.tfstate'), '--tenant', 'other', '--server', url],
      env(),
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('infracast: tenant other not found');
  });
});

/**
 * Following a job through a server that rate-limits the polls or stops answering: a stand-in server that
 * answers the job's creation, then what each test scripts.
 */
describe('infracast ingest: following the job', () => {
  const FILE = join(FIXTURES, 'terraform/two-tier.tfstate');
  const job = (status: string) => ({
    id: 'job_1',
    status,
    progress: { percent: status === 'succeeded' ? 100 : 0, step: status === 'succeeded' ? 'done' : null },
    counts: { created: 3, updated: 0, unchanged: 0, removed: 0, edges: 1 },
    error: null,
    result: status === 'succeeded' ? { skipped_documents: [], warnings_total: 0 } : null,
  });

  /** Answers POST with a queued job and each GET with the next scripted answer. */
  async function standIn(gets: ((res: import('node:http').ServerResponse) => void)[]) {
    let polls = 0;
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        if (req.method === 'POST') {
          res.statusCode = 201;
          res.end(JSON.stringify({ data: job('queued'), meta: null, error: null }));
          return;
        }
        const answer = gets[Math.min(polls++, gets.length - 1)] as (r: typeof res) => void;
        answer(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      url,
      polls: () => polls,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  const limited = (res: import('node:http').ServerResponse) => {
    res.statusCode = 429;
    res.setHeader('retry-after', '1');
    res.end(
      JSON.stringify({
        data: null,
        error: { code: 'RATE_LIMITED', message: 'Rate limit exceeded. Retry after 1 seconds.', retry_after: 1 },
      }),
    );
  };
  const answer = (status: string) => (res: import('node:http').ServerResponse) =>
    res.end(JSON.stringify({ data: job(status), meta: null, error: null }));

  it('a rate-limited poll waits Retry-After and follows on (the job runs on): exit 0 with the counts', async () => {
    const s = await standIn([answer('running'), limited, limited, answer('succeeded')]);
    try {
      const r = await runCli(
        ['ingest', 'terraform-state', FILE, '--tenant', 'acme', '--server', s.url, '--poll-ms', '50'],
        {
          INFRACAST_TOKEN: 'ick_x',
        },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Job job_1 succeeded: 3 created');
      expect(s.polls()).toBe(4);
    } finally {
      await s.close();
    }
  }, 20_000);

  it('a server that stops answering: says so, then gives up after --max-unreachable-seconds with exit 1', async () => {
    const s = await standIn([answer('running'), (res) => res.destroy()]);
    try {
      const r = await runCli(
        [
          'ingest',
          'terraform-state',
          FILE,
          '--tenant',
          'acme',
          '--server',
          s.url,
          '--poll-ms',
          '100',
          '--max-unreachable-seconds',
          '1',
        ],
        { INFRACAST_TOKEN: 'ick_x' },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot reach .*; still following job job_1\n/);
      expect(r.stderr).toMatch(
        /lost contact with .* for 1 s .*job job_1 may still be running: GET \/api\/v1\/tenants\/acme\/jobs\/job_1/,
      );
    } finally {
      await s.close();
    }
  }, 20_000);
});
