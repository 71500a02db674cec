/**
 * `infracast ingest terraform-state FILE | terraform-plan FILE | aws-snapshot DIR --tenant t`:
 * creates and starts a discovery job on a running server, then follows it
 * with a progress bar (a TTY) or progress lines (anything else) until it ends.
 * Exit codes: 0 succeeded, 1 failed or cancelled (the job's error is printed),
 * or the server unreachable for --max-unreachable-seconds while following,
 * 2 bad input (unreadable file, invalid JSON, missing credentials). A
 * rate-limited poll (429) waits its Retry-After and goes on.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { snapshotDocumentsFromFiles } from '../../core/ingest/index.ts';
import { ApiError, createApiClient, credentialsFromEnv, DEFAULT_SERVER } from '../client.ts';
import { CliError } from '../shared.ts';

type Source = 'terraform_state' | 'terraform_plan' | 'aws_snapshot';

interface IngestOptions {
  tenant: string;
  server: string;
  name?: string;
  region?: string;
  accountId?: string;
  wait: boolean;
  pollMs: number;
  maxUnreachableSeconds: number;
}

interface JobView {
  id: string;
  status: string;
  progress: { percent: number; step: string | null };
  counts: { created: number; updated: number; unchanged: number; removed: number; edges: number };
  error: { code: string; message: string } | null;
  result: { skipped_documents: string[]; warnings_total: number } | null;
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

/** Reads a JSON file; the text is sent as is (a 100 MB state is not re-serialised). */
function readJsonFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 2);
  }
  text = text.replace(/^\uFEFF/, '').trim();
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new CliError(`${path} is not a JSON object`, 2);
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${path} is not valid JSON: ${(e as Error).message}`, 2);
  }
  return text;
}

/**
 * Every .json file under `dir`, with paths relative to it (account/region folders, flat, or Batfish).
 * An empty (or whitespace-only) file is skipped with a warning: `aws … > f.json` leaves one when the
 * call fails (access denied), since the AWS CLI then prints nothing on stdout.
 */
function readSnapshotDir(dir: string): { path: string; content: unknown }[] {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new CliError(`cannot read ${dir}: no such directory`, 2);
  }
  if (!isDir) throw new CliError(`${dir} is not a directory`, 2);
  const files: { path: string; content: unknown }[] = [];
  let empty = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.toLowerCase().endsWith('.json')) {
        let text: string;
        try {
          text = readFileSync(full, 'utf8').replace(/^\uFEFF/, '');
        } catch (e) {
          throw new CliError(`cannot read ${full}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 2);
        }
        if (text.trim() === '') {
          empty++;
          process.stderr.write(
            `infracast: warning: skipping ${full}: empty file (a failed AWS CLI call prints nothing)\n`,
          );
          continue;
        }
        try {
          files.push({ path: relative(dir, full), content: JSON.parse(text) });
        } catch (e) {
          throw new CliError(`${full} is not valid JSON: ${(e as Error).message}`, 2);
        }
      }
    }
  };
  walk(dir);
  if (files.length === 0) throw new CliError(`${dir} has no ${empty > 0 ? 'non-empty ' : ''}.json files`, 2);
  return files;
}

function requestBody(source: Source, target: string, o: IngestOptions): string {
  const name = o.name ?? basename(resolve(target));
  const head = `{"name":${JSON.stringify(name)},"source":${JSON.stringify(source)},"start":true,"input":`;
  if (source === 'aws_snapshot') {
    const defaults = { ...(o.accountId ? { account_id: o.accountId } : {}), ...(o.region ? { region: o.region } : {}) };
    return `${head}${JSON.stringify(snapshotDocumentsFromFiles(readSnapshotDir(target), defaults))}}`;
  }
  const document = readJsonFile(target);
  if (!o.region && !o.accountId) return `${head}${document}}`;
  const extra = `${o.region ? `,"region":${JSON.stringify(o.region)}` : ''}${o.accountId ? `,"account_id":${JSON.stringify(o.accountId)}` : ''}`;
  return `${head}{"document":${document}${extra}}}`;
}

/** Draws progress: a bar rewritten in place on a TTY, a line per change otherwise. */
function progressPrinter(out: NodeJS.WriteStream) {
  let last = '';
  return {
    show(job: JobView) {
      const step = job.progress.step ?? job.status;
      const line = `${job.status} ${job.progress.percent}% ${step}`;
      if (line === last) return;
      last = line;
      if (out.isTTY) {
        const width = 30;
        const full = Math.round((job.progress.percent / 100) * width);
        out.write(
          `\r[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(job.progress.percent).padStart(3)}% ${step.padEnd(16)}`,
        );
      } else out.write(`${job.id}: ${line}\n`);
    },
    end() {
      if (out.isTTY && last !== '') out.write('\n');
    },
  };
}

async function runIngest(source: Source, target: string, o: IngestOptions) {
  const credentials = credentialsFromEnv(process.env);
  if (!credentials) {
    throw new CliError('set INFRACAST_TOKEN, or INFRACAST_CLIENT_ID and INFRACAST_SECRET_KEY', 2);
  }
  const body = requestBody(source, target, o);
  const client = createApiClient({ server: o.server, credentials, userAgent: 'infracast-cli' });
  const jobsPath = client.tenantPath(o.tenant, 'jobs');
  let job: JobView;
  try {
    job = await client.post<JobView>(jobsPath, { rawJson: body });
  } catch (e) {
    if (e instanceof ApiError) {
      const detail = Array.isArray(e.details) && e.details.length ? ` (${JSON.stringify(e.details[0])})` : '';
      throw new CliError(`${e.message}${detail}`, e.status === 400 || e.status === 413 ? 2 : 1);
    }
    throw e;
  }
  process.stdout.write(`Created job ${job.id} (${source}, ${body.length} bytes)\n`);
  if (!o.wait) return;

  const progress = progressPrinter(process.stderr);
  let wait = o.pollMs;
  /** Since when the server has not answered (null: it answers). */
  let unreachableSince: number | null = null;
  for (;;) {
    progress.show(job);
    if (FINISHED.has(job.status)) break;
    await new Promise((r) => setTimeout(r, wait));
    wait = o.pollMs;
    try {
      job = await client.get<JobView>(client.tenantPath(o.tenant, 'jobs', job.id));
      if (unreachableSince !== null) process.stderr.write(`infracast: ${o.server} answers again\n`);
      unreachableSince = null;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      // The job runs on whether or not this process polls: a rate limit only slows the polling down.
      if (e.status === 429 || e.status === 503) {
        wait = Math.max(o.pollMs, Math.ceil((e.retryAfter ?? 1) * 1000));
        continue;
      }
      if (e.status !== 0) throw new CliError(e.message, 1);
      // The server may be restarting: keep following, for a while.
      const now = Date.now();
      if (unreachableSince === null) {
        unreachableSince = now;
        process.stderr.write(`infracast: ${e.message}; still following job ${job.id}\n`);
      } else if (now - unreachableSince >= o.maxUnreachableSeconds * 1000) {
        progress.end();
        throw new CliError(
          `lost contact with ${o.server} for ${o.maxUnreachableSeconds} s (${e.message}); job ${job.id} may still be running: GET ${jobsPath}/${job.id}`,
          1,
        );
      }
    }
  }
  progress.end();

  if (job.status === 'succeeded') {
    const c = job.counts;
    const skipped = job.result?.skipped_documents.length ?? 0;
    const warnings = job.result?.warnings_total ?? 0;
    process.stdout.write(
      `Job ${job.id} succeeded: ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.removed} removed, ${c.edges} edges` +
        `${skipped ? `; ${skipped} document(s) skipped` : ''}${warnings ? `; ${warnings} warning(s)` : ''}\n`,
    );
    return;
  }
  if (job.status === 'cancelled') throw new CliError(`job ${job.id} was cancelled`, 1);
  throw new CliError(
    `job ${job.id} failed: ${job.error?.code ?? 'ERROR'}: ${job.error?.message ?? 'unknown error'}`,
    1,
  );
}

export function registerIngestCommands(program: Command) {
  const ingest = program
    .command('ingest')
    .description('Send inventory to a running server as a discovery job and follow it to the end');

  const common = (cmd: Command) =>
    cmd
      .requiredOption('--tenant <slug>', 'tenant slug or id')
      .option('--server <url>', 'server URL', DEFAULT_SERVER)
      .option('--name <name>', 'job name (default: the file or folder name)')
      .option('--region <region>', 'region for resources whose region the input does not say')
      .option('--account-id <id>', 'account for resources whose account the input does not say')
      .option('--no-wait', 'create and start the job, then exit')
      .option('--poll-ms <n>', 'how often to check the job', (v) => Math.max(50, Number(v) || 500), 500)
      .option(
        '--max-unreachable-seconds <n>',
        'give up following the job when the server has not answered for this long',
        (v) => Math.max(1, Number(v) || 300),
        300,
      );

  const sources: [string, Source, string, string][] = [
    ['terraform-state', 'terraform_state', '<file>', 'a Terraform state (.tfstate v4, or `terraform show -json`)'],
    ['terraform-plan', 'terraform_plan', '<file>', 'a Terraform plan (`terraform show -json plan.out`)'],
    [
      'aws-snapshot',
      'aws_snapshot',
      '<dir>',
      'AWS CLI describe/list output: <account>/<region>/*.json, flat, or Batfish aws_configs/',
    ],
  ];
  for (const [name, source, arg, what] of sources) {
    common(ingest.command(`${name} ${arg}`).description(`Ingest ${what}`)).action(
      async (target: string, opts: IngestOptions) => runIngest(source, target, opts),
    );
  }
}
