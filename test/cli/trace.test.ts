/**
 * End to end through the command line: `infracast serve` on a fresh database,
 * the two-tier AWS snapshot sent with `infracast ingest aws-snapshot`, then
 * `infracast trace` answering the acceptance questions, with its exit codes.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { destinationOf, formatTrace, hopTable, ruleText, sourceOf } from '../../src/cli/commands/trace.ts';
import { runCli, startServe } from '../helpers/cli.ts';
import { freshDatabase } from '../helpers/db.ts';
import { testDialects } from '../helpers/env.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/aws-snapshot/two-tier', import.meta.url));
const WEB = 'aws:us-east-1:aws.ec2.instance:web-01';
const DB = 'aws:us-east-1:aws.ec2.instance:db-01';
const ADMIN = { email: 'root@example.com', password: 'a long admin password' };

async function api(url: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const json = (await res.json()) as { data: Record<string, unknown> };
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

describe('trace command: argument forms', () => {
  it('maps --from and --to to the API body', () => {
    expect(sourceOf('internet')).toEqual({ source: 'internet' });
    expect(sourceOf('0.0.0.0/0')).toEqual({ source: 'internet' });
    expect(sourceOf('10.0.1.10')).toEqual({ source_ip: '10.0.1.10' });
    expect(sourceOf('10.0.1.10/32')).toEqual({ source_ip: '10.0.1.10' });
    expect(sourceOf('10.0.1.300')).toEqual({ source_ip: '10.0.1.300' });
    expect(sourceOf(WEB)).toEqual({ source_node_id: WEB });
    expect(() => sourceOf('10.0.1.0/24')).toThrow(/starts from one address/);
    expect(destinationOf('internet')).toEqual({ destination_cidr: '0.0.0.0/0' });
    expect(destinationOf('10.0.2.0/24')).toEqual({ destination_cidr: '10.0.2.0/24' });
    expect(destinationOf('10.0.2.20')).toEqual({ destination_ip: '10.0.2.20' });
    expect(destinationOf(DB)).toEqual({ destination_node_id: DB });
    // ARNs in node ids contain slashes; they are not CIDRs.
    const lb = 'aws:us-east-1:aws.elbv2.load_balancer:arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/web/1';
    expect(destinationOf(lb)).toEqual({ destination_node_id: lb });
  });

  it('prints rules in a line each', () => {
    expect(ruleText(null)).toBe('-');
    expect(
      ruleText({
        type: 'network_acl_entry',
        network_acl_id: 'acl-1',
        rule_number: 32767,
        egress: false,
        action: 'deny',
        entry: null,
      }),
    ).toBe('acl-1 ingress rule * deny (default)');
    expect(ruleText({ type: 'no_route', route_table_id: 'rtb-1', destination_ip: '10.9.0.1' })).toBe(
      'no route to 10.9.0.1 in rtb-1',
    );
    expect(hopTable([]).trim()).toBe('HOP  NODE  KIND  DECISION  RULE');
    // An AWS service with no node of its own (instance metadata) shows the address it answers on.
    const metadata = {
      node_id: null,
      native_id: null,
      kind: 'aws_service',
      direction: 'ingress',
      decision: 'allow',
      rule: null,
      note: 'instance metadata answers on the interface',
    } as const;
    expect(hopTable([metadata], '169.254.169.254').split('\n')[1]).toMatch(
      /^1 {4}169\.254\.169\.254 {2}aws_service {2}allow/,
    );
    expect(hopTable([metadata]).split('\n')[1]).toMatch(/^1 {4}- +aws_service/);
    expect(typeof formatTrace).toBe('function');
  });
});

for (const dialect of testDialects()) {
  describe(`${dialect}: infracast trace against a real server`, () => {
    it('ingests the two-tier snapshot with the CLI and answers the acceptance traces', async () => {
      const db = await freshDatabase(dialect);
      const { child, url } = await startServe({
        ...db.env,
        INFRACAST_PORT: '0',
        INFRACAST_ADMIN_EMAIL: ADMIN.email,
        INFRACAST_ADMIN_PASSWORD: ADMIN.password,
        INFRACAST_LOG_LEVEL: 'warn',
      });
      try {
        const { access_token: adminToken } = (await api(url, '/api/v1/auth/token', {
          method: 'POST',
          body: { grant_type: 'password', ...ADMIN },
        })) as { access_token: string };
        await api(url, '/api/v1/tenants', {
          method: 'POST',
          token: adminToken,
          body: { slug: 'acme', name: 'Acme', plan: 'enterprise' },
        });
        const key = async (role: string) =>
          (await api(url, '/api/v1/tenants/acme/tokens', {
            method: 'POST',
            token: adminToken,
            body: { description: `${role} for the CLI test`, role, never_expires: true },
          })) as { token: string; client_id: string; secret_key: string };
        const editor = await key('editor');
        const viewer = await key('viewer');

        const ingest = await runCli(
          ['ingest', 'aws-snapshot', FIXTURE, '--tenant', 'acme', '--server', url, '--poll-ms', '100'],
          {
            INFRACAST_TOKEN: editor.token,
          },
        );
        expect(ingest.code, ingest.stderr).toBe(0);
        expect(ingest.stdout).toMatch(/succeeded: 19 created/);

        // The viewer key as client ID + secret key, the other way the CLI takes credentials.
        const creds = { INFRACAST_CLIENT_ID: viewer.client_id, INFRACAST_SECRET_KEY: viewer.secret_key };
        const trace = (...args: string[]) => runCli(['trace', '--tenant', 'acme', '--server', url, ...args], creds);

        // The seed's question: web-01 to the internet on 443.
        const seed = await trace('--from', WEB, '--to', '0.0.0.0/0', '--port', '443', '--protocol', 'tcp');
        expect(seed.code, seed.stderr).toBe(0);
        expect(seed.stdout).toMatch(/^Trace aws:us-east-1:aws\.ec2\.instance:web-01 → 0\.0\.0\.0\/0, TCP port 443\n/);
        expect(seed.stdout).toMatch(/^HOP +NODE +KIND +DECISION +RULE$/m);
        expect(seed.stdout).toMatch(/^1 +eni-0a1b2c3d4e5f60042 +eni +forward +-$/m);
        expect(seed.stdout).toMatch(
          /sg-0a1b2c3d4e5f60081 +security_group +allow +sg-0a1b2c3d4e5f60081 egress #0: all to 0\.0\.0\.0\/0/,
        );
        expect(seed.stdout).toMatch(
          /route_table +forward +rtb-0a1b2c3d4e5f60061: 0\.0\.0\.0\/0 → igw-0a1b2c3d4e5f60021/,
        );
        expect(seed.stdout).toMatch(/^Verdict: REACHABLE \(EXITS_NETWORK\)$/m);
        expect(seed.stdout).toMatch(/leaves the modelled network through igw-0a1b2c3d4e5f60021/);

        // Internet → web-01:443 is open…
        const web = await trace('--from', 'internet', '--to', WEB, '--port', '443');
        expect(web.code, web.stdout).toBe(0);
        expect(web.stdout).toMatch(/sg-0a1b2c3d4e5f60081 ingress #0: tcp 443 from 0\.0\.0\.0\/0/);

        // …the database is not reachable from the internet: it has no public address.
        const fromInternet = await trace('--from', 'internet', '--to', DB, '--port', '5432');
        expect(fromInternet.code, fromInternet.stdout + fromInternet.stderr).toBe(1);
        expect(fromInternet.stdout).toMatch(/^Verdict: NOT REACHABLE \(NO_PUBLIC_IP\)$/m);
        expect(fromInternet.stdout).toMatch(
          /^Blocked at: hop 1, eni-0a1b2c3d4e5f60043 \(eni\): eni-0a1b2c3d4e5f60043 has no public IP address/m,
        );
        expect(fromInternet.stdout).toMatch(/has no public IP address/);

        // …but the web tier reaches it on 5432 through db-sg's rule referencing web-sg.
        const webToDb = await trace('--from', WEB, '--to', DB, '--port', '5432');
        expect(webToDb.code, webToDb.stdout).toBe(0);
        expect(webToDb.stdout).toMatch(/sg-0a1b2c3d4e5f60082 ingress #0: tcp 5432 from sg-0a1b2c3d4e5f60081/);
        expect(webToDb.stdout).toMatch(/acl-0a1b2c3d4e5f60072 ingress rule 100 allow tcp 5432 10\.0\.1\.0\/24/);

        // SSH to the database: the private subnet's ACL decides, and the CLI names the rule.
        const ssh = await trace('--from', WEB, '--to', DB, '--port', '22');
        expect(ssh.code).toBe(1);
        expect(ssh.stdout).toMatch(/^Verdict: NOT REACHABLE \(DENIED_IN\)$/m);
        expect(ssh.stdout).toMatch(
          /^Blocked at: hop \d+, acl-0a1b2c3d4e5f60072 \(network_acl\): acl-0a1b2c3d4e5f60072 ingress rule 32767 deny all 0\.0\.0\.0\/0$/m,
        );

        // IP and CIDR forms, a port range, JSON output.
        const json = await trace('--from', '10.0.1.10', '--to', '10.0.2.0/24', '--port', '5000-6000', '--json');
        expect(json.code, json.stderr).toBe(0);
        const parsed = JSON.parse(json.stdout);
        expect(parsed).toMatchObject({ reachable: true, reachable_ports: [{ from: 5432, to: 5432 }] });

        // Bad input: exit 2 with the server's message.
        const unknown = await trace('--from', 'aws:us-east-1:aws.ec2.instance:nope', '--to', DB, '--port', '5432');
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toBe('infracast: node aws:us-east-1:aws.ec2.instance:nope not found\n');
        const badIp = await trace('--from', '10.0.1.300', '--to', DB);
        expect(badIp.code).toBe(2);
        expect(badIp.stderr).toBe('infracast: Invalid trace: body.source_ip must be an IPv4 address, e.g. 10.0.1.10\n');
        const badPort = await trace('--from', WEB, '--to', DB, '--port', 'https');
        expect(badPort.code).toBe(2);
        expect(badPort.stderr).toBe('infracast: --port must be an integer 0–65535, got "https"\n');
        const missing = await trace('--from', WEB);
        expect(missing.code).toBe(2);
        expect(missing.stderr).toMatch(/required option '--to <where>' not specified/);
        const noCreds = await runCli(['trace', '--tenant', 'acme', '--server', url, '--from', WEB, '--to', DB]);
        expect(noCreds.code).toBe(2);
        expect(noCreds.stderr).toMatch(/set INFRACAST_TOKEN/);

        // No answer: exit 3, never "not reachable".
        const refused = await runCli(['trace', '--tenant', 'acme', '--server', url, '--from', WEB, '--to', DB], {
          INFRACAST_TOKEN: 'ick_not-a-real-token',
        });
        expect(refused.code).toBe(3);
        const down = await runCli(
          ['trace', '--tenant', 'acme', '--server', 'http://127.0.0.1:1', '--from', WEB, '--to', DB],
          creds,
        );
        expect(down.code).toBe(3);
        expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
      } finally {
        await stop(child);
        await db.dispose();
      }
    }, 120_000);
  });
}
