/**
 * `infracast validate PLAN` as CI runs it: a child process, offline against a
 * policy file and against a real `infracast serve`, every output format, and
 * the exit codes (0 clean or warn-only, 1 a block policy fails, 2 bad input).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe } from '../helpers/cli.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const PLAN = join(FIXTURES, 'tagging/aws.plan.json');
const STATE = join(FIXTURES, 'terraform/two-tier.tfstate');
const FINOPS_MESSAGE =
  "The application ID isn't valid, please ensure your application is registered at https://services.acme-inc.com/list";

const finops = {
  id: 'finops',
  name: 'FinOps showback',
  enforcement: 'block',
  message: FINOPS_MESSAGE,
  tags: [
    {
      key: 'app_id',
      mandatory: true,
      valueType: 'LIST',
      allowedValues: ['app-1', 'app-2', 'app-3', 'app-4', 'app-5', 'app-9'],
    },
    {
      key: 'CostCenter',
      mandatory: true,
      valueType: 'REGEX',
      allowedRegex: '^cc-[0-9]{3}$',
      message: 'CostCenter must look like cc-123',
    },
  ],
};
const owner = {
  id: 'owner',
  name: 'Ownership',
  enforcement: 'warn',
  scope: { providers: ['aws'] },
  tags: [{ key: 'owner', mandatory: true, valueType: 'ANY' }],
};

let dir: string;
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'infracast-validate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('infracast validate, offline (--policies)', () => {
  it('prints text by default and exits 1 when a block policy fails', async () => {
    const policies = file('both.json', [finops, owner]);
    const r = await runCli(['validate', PLAN, '--policies', policies]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^Infracast tagging: FAIL: 6 blocking, 2 warnings in 4 of 9 taggable resources, 55.56% tagged correctly/,
    );
    expect(r.stdout).toContain('tag app_id = "App_1" is not allowed');
    expect(r.stdout).toContain(FINOPS_MESSAGE);
    expect(r.stdout).toContain('did you mean "app-1"?');
  });

  it('writes every output format', async () => {
    const policies = file('both.json', [finops, owner]);
    const run = async (format: string) => {
      const r = await runCli(['validate', PLAN, '--policies', policies, '--format', format]);
      expect(r.code, `${format}: ${r.stderr}`).toBe(1);
      return r.stdout;
    };
    const json = JSON.parse(await run('json'));
    expect(json.summary).toMatchObject({ taggable: 9, blocking: 6, warnings: 2 });
    expect(json.violations).toHaveLength(8);

    const markdown = await run('markdown');
    expect(markdown).toMatch(/^### ❌ Infracast tagging: FAIL/);
    expect(markdown).toContain('| `aws_instance.web[0]` | `app_id` | `App_1` |');

    const sarif = JSON.parse(await run('sarif'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results).toHaveLength(8);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toContain('aws.plan.json');

    const junit = new XMLParser({ ignoreAttributes: false }).parse(await run('junit'));
    // One failing test case per (policy, resource): FinOps fails on four resources, Ownership on one.
    expect(junit.testsuites['@_failures']).toBe('5');

    const github = (await run('github')).trim().split('\n');
    expect(github.filter((l) => l.startsWith('::error '))).toHaveLength(6);
    expect(github.filter((l) => l.startsWith('::warning '))).toHaveLength(2);
  });

  it('exits 0 when only warn policies fail, and when everything passes', async () => {
    const warnOnly = await runCli(['validate', PLAN, '--policies', file('warn.json', [owner])]);
    expect(warnOnly.code, warnOnly.stderr).toBe(0);
    expect(warnOnly.stdout).toMatch(/^Infracast tagging: WARN/);
    const clean = await runCli(['validate', PLAN, '--policies', file('none.json', [])]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^Infracast tagging: PASS/);
  });

  it('--output writes the file and prints one summary line', async () => {
    const out = join(dir, 'comment.md');
    const r = await runCli([
      'validate',
      PLAN,
      '--policies',
      file('both.json', [finops, owner]),
      '--format',
      'markdown',
      '--output',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      `infracast: FAIL: 6 blocking, 2 warning(s) in 4 of 9 taggable resources, 55.56% tagged correctly; markdown written to ${out}`,
    );
    expect(readFileSync(out, 'utf8')).toMatch(/^### ❌/);

    // The share is over the resources a policy covers; the summary line says how many it covers not.
    const scoped = { ...finops, scope: { resource_types: { include: ['aws_instance', 'aws_s3_bucket'] } } };
    const partial = await runCli([
      'validate',
      PLAN,
      '--policies',
      file('scoped.json', [scoped]),
      '--format',
      'markdown',
      '--output',
      out,
    ]);
    expect(partial.code).toBe(1);
    expect(partial.stderr.trim()).toBe(
      `infracast: FAIL: 2 blocking, 0 warning(s) in 1 of 9 taggable resources, 66.67% tagged correctly (6 not covered by any policy); markdown written to ${out}`,
    );
  });

  it("reads the API's list and get answers and the seed's wrapper as policy files; --policy picks some", async () => {
    const listAnswer = file('list.json', {
      data: [
        {
          ...finops,
          id: 'e17b9d51-151d-4855-a17e-6349e485584c',
          version: 3,
          created_at: '2026-11-23T00:00:00.000Z',
          updated_at: '2026-11-23T00:00:00.000Z',
        },
        owner,
      ],
      meta: { total: 2, page: 1, per_page: 50, total_pages: 1 },
      error: null,
    });
    const list = await runCli(['validate', PLAN, '--policies', listAnswer, '--format', 'json']);
    expect(list.code, list.stderr).toBe(1);
    expect(JSON.parse(list.stdout).policies.map((p: { id: string }) => p.id)).toEqual([
      'e17b9d51-151d-4855-a17e-6349e485584c',
      'owner',
    ]);

    const getAnswer = await runCli([
      'validate',
      PLAN,
      '--policies',
      file('get.json', { data: owner, meta: null, error: null }),
    ]);
    expect(getAnswer.code).toBe(0);

    // The seed's tags.json: no name, no enforcement (warn), so violations do not fail the build.
    const seed = file('tags.json', {
      data: {
        attributes: {
          tags: [
            {
              key: 'app_id',
              mandatory: true,
              valueType: 'LIST',
              allowedValues: ['app1', 'app2', 'app3', 'app4', 'app5'],
            },
          ],
        },
      },
    });
    const r = await runCli(['validate', PLAN, '--policies', seed, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.summary.warnings).toBeGreaterThan(0);
    expect(json.violations.find((v: { actual: string }) => v.actual === 'app-1').suggestions).toEqual(['app1']);

    const only = await runCli([
      'validate',
      PLAN,
      '--policies',
      file('both.json', [finops, owner]),
      '--policy',
      'owner',
    ]);
    expect(only.code).toBe(0);
    const disabled = await runCli([
      'validate',
      PLAN,
      '--policies',
      file('disabled.json', [{ ...finops, enabled: false }]),
      '--policy',
      'finops',
    ]);
    expect(disabled.code).toBe(1);
    // Checked because named, and shown as it is: disabled.
    expect(disabled.stdout).toMatch(/^Infracast tagging: FAIL: 6 blocking, .*1 disabled policy checked as named/);
    const disabledJson = await runCli([
      'validate',
      PLAN,
      '--policies',
      join(dir, 'disabled.json'),
      '--policy',
      'finops',
      '--format',
      'json',
    ]);
    expect(disabledJson.code).toBe(1);
    expect(
      JSON.parse(disabledJson.stdout).policies.map((p: { id: string; enabled: boolean }) => [p.id, p.enabled]),
    ).toEqual([['finops', false]]);
    // Not named: a disabled policy is not checked.
    const notNamed = await runCli(['validate', PLAN, '--policies', join(dir, 'disabled.json')]);
    expect(notNamed.code).toBe(0);
    expect(notNamed.stdout).toMatch(/^Infracast tagging: PASS: 9 taggable of 12 resources checked against 0 policies/);
  });

  it('reads the plan from stdin with -', async () => {
    const r = await runCli(
      ['validate', '-', '--policies', file('both.json', [finops, owner])],
      {},
      readFileSync(PLAN, 'utf8'),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL: 6 blocking/);
  });

  it('exits 2 with one line naming the file and what is wrong on bad input', async () => {
    const policies = file('both.json', [finops, owner]);
    const cases: [string[], RegExp][] = [
      [
        ['validate', join(dir, 'missing.json'), '--policies', policies],
        /^infracast: cannot read plan .*missing\.json: no such file$/,
      ],
      [
        ['validate', file('broken.json', '{"resource_changes": ['), '--policies', policies],
        /^infracast: .*broken\.json: the plan is not valid JSON: /,
      ],
      [
        ['validate', file('empty.json', ''), '--policies', policies],
        /^infracast: .*empty\.json: the plan is not valid JSON: the file is empty$/,
      ],
      [
        ['validate', STATE, '--policies', policies],
        /^infracast: .*two-tier\.tfstate: not a Terraform plan: no resource_changes or planned_values \(is this a state file\?\)$/,
      ],
      [
        ['validate', file('v2.json', { format_version: '2.0', resource_changes: [] }), '--policies', policies],
        /unsupported plan format_version 2\.0/,
      ],
      [
        ['validate', PLAN, '--policies', file('unknown-field.json', [{ ...owner, colour: 'red' }])],
        /^infracast: .*unknown-field\.json: invalid policies: \[0\]\.colour: unknown field$/,
      ],
      [
        [
          'validate',
          PLAN,
          '--policies',
          file('bad-regex.json', { name: 'x', tags: [{ key: 'a', valueType: 'REGEX', allowedRegex: '^(a+)+$' }] }),
        ],
        /^infracast: .*bad-regex\.json: invalid policies: tags\[0\]\.allowedRegex: .*(catastrophic|backtrack)/,
      ],
      [['validate', PLAN, '--policies', file('not-policies.json', '"hello"')], /invalid policies: expected a policy/],
      [
        ['validate', PLAN, '--policies', policies, '--format', 'xml'],
        /^infracast: unknown --format xml; use one of text, json, markdown, sarif, junit, github$/,
      ],
      [['validate', PLAN, '--policies', policies, '--policy', 'nope'], /no policy nope$/],
      [['validate', PLAN, '--policies', policies, '--tenant', 'acme'], /either --policies FILE .* or --tenant/],
      [
        ['validate', PLAN, '--tenant', 'acme'],
        /^infracast: set INFRACAST_TOKEN, or INFRACAST_CLIENT_ID and INFRACAST_SECRET_KEY$/,
      ],
      [['validate', PLAN], /^infracast: give --tenant with --server/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0], args.join(' ')).toMatch(message);
    }
  });
});

describe('infracast validate, against a server', () => {
  let serverDir: string;
  let url: string;
  let stop: () => Promise<void>;
  let viewerKey: { token: string; client_id: string; secret_key: string };
  let listAnswer: string;

  beforeAll(async () => {
    serverDir = mkdtempSync(join(tmpdir(), 'infracast-validate-serve-'));
    const admin = { email: 'root@example.com', password: 'a long admin password' };
    const serve = await startServe({
      INFRACAST_DATA_DIR: serverDir,
      INFRACAST_PORT: '0',
      INFRACAST_ADMIN_EMAIL: admin.email,
      INFRACAST_ADMIN_PASSWORD: admin.password,
      INFRACAST_LOG_LEVEL: 'warn',
    });
    url = serve.url;
    stop = () =>
      new Promise((resolve) => {
        serve.child.once('exit', () => resolve());
        serve.child.kill('SIGTERM');
      });
    const call = async (method: string, path: string, token: string | null, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { data: Record<string, unknown> } };
    };
    const login = await call('POST', '/api/v1/auth/token', null, { grant_type: 'password', ...admin });
    const adminToken = login.body.data.access_token as string;
    expect(
      (await call('POST', '/api/v1/tenants', adminToken, { slug: 'acme', name: 'Acme', plan: 'enterprise' })).status,
    ).toBe(201);
    for (const p of [finops, owner]) {
      const { id: _id, ...body } = p;
      expect((await call('POST', '/api/v1/tenants/acme/tagging-policies', adminToken, body)).status).toBe(201);
    }
    const key = await call('POST', '/api/v1/tenants/acme/tokens', adminToken, {
      description: 'CI',
      role: 'viewer',
      never_expires: true,
    });
    viewerKey = key.body.data as never;
    const list = await fetch(`${url}/api/v1/tenants/acme/tagging-policies`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    listAnswer = file('server-list.json', await list.text());
  }, 60_000);

  afterAll(async () => {
    await stop?.();
    rmSync(serverDir, { recursive: true, force: true });
  });

  const server = () => ['--server', url, '--tenant', 'acme'];

  it("validates against the tenant's policies with INFRACAST_TOKEN, exactly as offline with the same policies", async () => {
    for (const format of ['text', 'json', 'markdown', 'sarif', 'junit', 'github']) {
      const online = await runCli(['validate', PLAN, ...server(), '--format', format], {
        INFRACAST_TOKEN: viewerKey.token,
      });
      expect(online.code, `${format}: ${online.stderr}`).toBe(1);
      const offline = await runCli(['validate', PLAN, '--policies', listAnswer, '--format', format]);
      expect(offline.code).toBe(1);
      // JSON key order may differ (the server serialises by schema); the content may not.
      if (format === 'json') expect(JSON.parse(online.stdout)).toEqual(JSON.parse(offline.stdout));
      else expect(online.stdout, format).toBe(offline.stdout);
    }
  });

  it('takes INFRACAST_CLIENT_ID + INFRACAST_SECRET_KEY and --policy', async () => {
    const ownerId = JSON.parse(readFileSync(listAnswer, 'utf8')).data.find(
      (p: { name: string }) => p.name === 'Ownership',
    ).id;
    const r = await runCli(['validate', PLAN, ...server(), '--policy', ownerId, '--format', 'json'], {
      INFRACAST_CLIENT_ID: viewerKey.client_id,
      INFRACAST_SECRET_KEY: viewerKey.secret_key,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).policies.map((p: { name: string }) => p.name)).toEqual(['Ownership']);
  });

  it('exits 2 when the server refuses the plan, the tenant or the token, or cannot be reached', async () => {
    const env = { INFRACAST_TOKEN: viewerKey.token };
    const state = await runCli(['validate', STATE, ...server()], env);
    expect(state.code).toBe(2);
    expect(state.stderr.trim()).toMatch(
      /two-tier\.tfstate: Invalid plan: not a Terraform plan: no resource_changes or planned_values/,
    );
    const tenant = await runCli(['validate', PLAN, '--server', url, '--tenant', 'globex'], env);
    expect(tenant.code).toBe(2);
    expect(tenant.stderr.trim()).toBe(`infracast: ${url} answered 404: tenant globex not found`);
    const token = await runCli(['validate', PLAN, ...server()], { INFRACAST_TOKEN: 'ick_not-a-real-token' });
    expect(token.code).toBe(2);
    expect(token.stderr).toMatch(/answered 401/);
    const down = await runCli(['validate', PLAN, '--server', 'http://127.0.0.1:9', '--tenant', 'acme'], env);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/^infracast: cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});
