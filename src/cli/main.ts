/**
 * The `infracast` command line. Each command lives in src/cli/commands/ and
 * registers itself here; configuration is read from the environment once.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerValidateCommand } from './commands/validate.ts';
import { CliError } from './shared.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('infracast')
  .description('Cloud infrastructure governance API: inventory graph, path tracing, tagging policies.')
  .version(pkg.version, '-v, --version')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Examples:
  $ infracast serve                                  # API on http://127.0.0.1:8080 (SQLite under ./data)
  $ INFRACAST_DATABASE_URL=postgres://… infracast migrate
  $ infracast admin create-user --email ops@example.com --platform-admin
  $ infracast admin create-tenant --slug acme --name "Acme" --owner ops@example.com
  $ infracast admin create-token --tenant acme --role viewer --description "CI" --expires-in-days 90
  $ INFRACAST_TOKEN=ick_… infracast ingest terraform-state prod.tfstate --tenant acme
  $ INFRACAST_TOKEN=ick_… infracast ingest aws-snapshot ./snapshot --tenant acme --server https://infracast.example.com
  $ INFRACAST_DATABASE_URL=postgres://… infracast worker --concurrency 2
  $ INFRACAST_TOKEN=ick_… infracast validate plan.json --server https://infracast.example.com --tenant acme
  $ infracast validate plan.json --policies policies.json --format markdown
  $ INFRACAST_TOKEN=ick_… infracast trace --tenant acme --from aws:us-east-1:aws.ec2.instance:web-01 --to 0.0.0.0/0 --port 443

Configuration is read from INFRACAST_* environment variables; see the README.`,
  );

// Each command is imported only when it is the one being run: the server-side ones pull in
// Fastify, the database drivers and TypeBox (over a second), which `validate` (run on every
// pull request with a < 2 s budget), `trace` and `ingest` do not need. Help and unknown
// commands load them all, so the listing is complete.
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  serve: async () => {
    const m = await import('./commands/serve.ts');
    return (p) => m.registerServeCommand(p, pkg.version);
  },
  migrate: async () => (await import('./commands/migrate.ts')).registerMigrateCommand,
  admin: async () => (await import('./commands/admin.ts')).registerAdminCommands,
  ingest: async () => (await import('./commands/ingest.ts')).registerIngestCommands,
  worker: async () => (await import('./commands/worker.ts')).registerWorkerCommand,
  trace: async () => (await import('./commands/trace.ts')).registerTraceCommand,
  validate: async () => registerValidateCommand,
};
const invoked = process.argv[2];
const needed = invoked !== undefined && Object.hasOwn(COMMANDS, invoked) ? [invoked] : Object.keys(COMMANDS);
for (const register of await Promise.all(
  needed.map((name) => (COMMANDS[name] as () => Promise<(p: Command) => void>)()),
)) {
  register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (e instanceof CliError) {
    process.stderr.write(`infracast: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  process.stderr.write(`infracast: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
}
