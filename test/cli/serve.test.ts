import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startServe } from '../helpers/cli.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'infracast-cli-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('infracast CLI', () => {
  it('--version and --help', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/serve/);
    expect(h.stdout).toMatch(/migrate/);
    expect(h.stdout).toMatch(/Examples:/);
  });

  it('a bad variable exits non-zero with one line naming it', async () => {
    const r = await runCli(['serve'], { INFRACAST_PORT: 'abc', INFRACAST_DATA_DIR: tempDir() });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'infracast: invalid configuration: INFRACAST_PORT must be an integer between 0 and 65535 (got "abc")',
    ]);
  });

  it('a bad or unusable INFRACAST_HOST is one line naming it, not a stack trace; empty values mean unset', async () => {
    for (const host of ['999.1.1.1', 'localhost:80', 'bad_host!']) {
      const r = await runCli(['serve'], { INFRACAST_HOST: host, INFRACAST_DATA_DIR: tempDir() });
      expect(r.code, host).toBe(1);
      expect(r.stderr.trim().split('\n'), host).toEqual([
        `infracast: invalid configuration: INFRACAST_HOST must be an IP address or a host name, without a port (got "${host}")`,
      ]);
    }
    // A well-formed address this machine does not have (TEST-NET-1, RFC 5737).
    const r = await runCli(['serve'], {
      INFRACAST_HOST: '192.0.2.1',
      INFRACAST_PORT: '0',
      INFRACAST_DATA_DIR: tempDir(),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^infracast: cannot listen on 192\.0\.2\.1: no such address on this machine \(set INFRACAST_HOST\)\n$/m,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // As compose and Kubernetes files write unset variables.
    const empty = await runCli(['migrate'], {
      INFRACAST_ADMIN_PASSWORD: '',
      INFRACAST_JWT_SECRET: '',
      INFRACAST_DATA_DIR: tempDir(),
    });
    expect(empty.code, empty.stderr).toBe(0);
  });

  it('an unreachable database exits non-zero with a clear message, not a stack trace', async () => {
    const r = await runCli(['serve'], {
      INFRACAST_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      INFRACAST_DATA_DIR: tempDir(),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^infracast: cannot connect to PostgreSQL at postgres:\/\/nobody@127\.0\.0\.1:1\/none: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a data directory that cannot be made is one line naming the variable, from migrate, serve and worker', async () => {
    const file = join(tempDir(), 'not-a-directory');
    writeFileSync(file, '');
    const dir = join(file, 'data');
    for (const args of [['migrate'], ['serve'], ['worker']]) {
      const r = await runCli(args, { INFRACAST_DATA_DIR: dir, INFRACAST_PORT: '0' });
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr, args[0]).toBe(
        `infracast: cannot create ${dir} for the SQLite database (set INFRACAST_DATA_DIR or INFRACAST_DATABASE_URL): ` +
          `ENOTDIR: not a directory, mkdir '${dir}'\n`,
      );
    }
  });

  it('migrate applies migrations and is a no-op the second time', async () => {
    const dir = tempDir();
    const env = { INFRACAST_DATA_DIR: dir };
    const first = await runCli(['migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Applied:\n {2}2026_11_23_0001_platform/);
    expect(existsSync(join(dir, 'infracast.db'))).toBe(true);
    const second = await runCli(['migrate'], env);
    expect(second.stdout.trim()).toBe('Database is up to date.');
  });

  it('a database migrated by a newer version: migrate --status, migrate and serve exit 1 saying so', async () => {
    const dir = tempDir();
    const env = { INFRACAST_DATA_DIR: dir };
    expect((await runCli(['migrate'], env)).code).toBe(0);
    const db = new Database(join(dir, 'infracast.db'));
    db.prepare('insert into infracast_migrations (name, timestamp) values (?, ?)').run(
      '2099_12_31_0099_future',
      new Date().toISOString(),
    );
    db.close();
    const said =
      'infracast: the database was migrated by a newer version of Infracast: it has applied 2099_12_31_0099_future, ' +
      'which this version does not know; run that version (or a newer one) against it';
    const status = await runCli(['migrate', '--status'], env);
    expect({ code: status.code, stdout: status.stdout, stderr: status.stderr.trim() }).toEqual({
      code: 1,
      stdout: '',
      stderr: said,
    });
    const migrate = await runCli(['migrate'], env);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr.trim()).toBe(`${said} (nothing was applied)`);
    const serve = await runCli(['serve'], { ...env, INFRACAST_PORT: '0' });
    expect(serve.code).toBe(1);
    expect(serve.stderr.trim()).toBe(said);
  });

  it('serve creates the database, the first admin, answers, and shuts down gracefully on SIGTERM', async () => {
    const dir = tempDir();
    const { child, url, output } = await startServe({
      INFRACAST_DATA_DIR: dir,
      INFRACAST_PORT: '0',
      INFRACAST_ADMIN_EMAIL: 'root@example.com',
      INFRACAST_ADMIN_PASSWORD: 'a long admin password',
    });
    try {
      expect(output()).toMatch(/Created platform admin root@example.com\./);
      expect(output()).not.toMatch(/Generated password/);
      expect(existsSync(join(dir, 'infracast.db'))).toBe(true);
      const health = await fetch(`${url}/healthz`);
      expect(await health.json()).toEqual({ data: { status: 'ok' }, meta: null, error: null });
      const token = await fetch(`${url}/api/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=password&email=root%40example.com&password=a+long+admin+password',
      });
      expect(token.status).toBe(200);
    } finally {
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('says so when INFRACAST_ADMIN_* no longer match: they only create the first admin', async () => {
    const dir = tempDir();
    const env = { INFRACAST_DATA_DIR: dir, INFRACAST_PORT: '0', INFRACAST_ADMIN_EMAIL: 'root@example.com' };
    const first = await startServe({ ...env, INFRACAST_ADMIN_PASSWORD: 'the first admin password' });
    first.child.kill('SIGTERM');
    await new Promise((r) => first.child.on('exit', r));
    const same = await startServe({ ...env, INFRACAST_ADMIN_PASSWORD: 'the first admin password' });
    expect(same.output()).not.toMatch(/warning/);
    same.child.kill('SIGTERM');
    await new Promise((r) => same.child.on('exit', r));
    const changed = await startServe({ ...env, INFRACAST_ADMIN_PASSWORD: 'a brand new password' });
    expect(changed.output()).toMatch(
      /warning: INFRACAST_ADMIN_PASSWORD is not root@example\.com's password: it only sets the first admin's on an empty database/,
    );
    changed.child.kill('SIGTERM');
    await new Promise((r) => changed.child.on('exit', r));
    const other = await startServe({ ...env, INFRACAST_ADMIN_EMAIL: 'other@example.com' });
    expect(other.output()).toMatch(/warning: INFRACAST_ADMIN_EMAIL \(other@example\.com\) is not a user/);
    other.child.kill('SIGTERM');
    await new Promise((r) => other.child.on('exit', r));
  }, 120_000); // four server starts: a loaded CI machine takes well over the default 30 s

  it('prints a generated admin password once when none is configured', async () => {
    const dir = tempDir();
    const first = await startServe({ INFRACAST_DATA_DIR: dir, INFRACAST_PORT: '0' });
    expect(first.output()).toMatch(
      /Generated password \(shown once; change it at first sign-in, POST \/api\/v1\/auth\/password\): \S{20,}/,
    );
    first.child.kill('SIGTERM');
    await new Promise((r) => first.child.on('exit', r));
    const second = await startServe({ INFRACAST_DATA_DIR: dir, INFRACAST_PORT: '0' });
    expect(second.output()).not.toMatch(/Generated password/);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.on('exit', r));
  }, 90_000);
});
