/** `infracast admin …`: operator commands that work on the database directly (no server needed). */
import type { Command } from 'commander';
import { PLANS, type Plan } from '../../modules/tenants/schemas.ts';
import { ROLES, type Role } from '../../platform/auth/roles.ts';
import { isAppError } from '../../platform/errors.ts';
import { openAndMigrate, StartupError } from '../../server.ts';
import { createServices, type Services } from '../../services.ts';
import { CliError, configFromEnv } from '../shared.ts';

async function withServices<T>(fn: (s: Services) => Promise<T>): Promise<T> {
  const config = configFromEnv();
  const database = await openAndMigrate(config).catch((e) => {
    throw e instanceof StartupError ? new CliError(e.message) : e;
  });
  try {
    return await fn(await createServices({ config, database }));
  } catch (e) {
    if (isAppError(e)) throw new CliError(e.message);
    throw e;
  } finally {
    await database.close();
  }
}

const oneOf =
  <T extends string>(allowed: readonly T[], what: string) =>
  (v: string): T => {
    if (!allowed.includes(v as T)) throw new CliError(`${what} must be one of ${allowed.join(', ')}`, 2);
    return v as T;
  };

export function registerAdminCommands(program: Command) {
  const admin = program.command('admin').description('Create users, tenants and API keys from the command line');

  admin
    .command('create-user')
    .description('Create a user; prints a generated password once unless --password-env is given')
    .requiredOption('--email <email>', 'email address (sign-in name)')
    .option('--name <name>', 'display name')
    .option('--platform-admin', 'make the user a platform administrator')
    .option('--password-env <VAR>', 'read the password from this environment variable instead of generating one')
    .action(async (opts: { email: string; name?: string; platformAdmin?: boolean; passwordEnv?: string }) => {
      const password = opts.passwordEnv ? process.env[opts.passwordEnv] : undefined;
      if (opts.passwordEnv && !password) throw new CliError(`environment variable ${opts.passwordEnv} is empty`, 2);
      const user = await withServices((s) =>
        s.auth.createUser({ email: opts.email, name: opts.name, password, platformAdmin: opts.platformAdmin }),
      );
      console.log(`Created user ${user.email} (${user.id})${opts.platformAdmin ? ' as platform admin' : ''}.`);
      if (user.generated) console.log(`Password (shown once): ${user.password}`);
    });

  admin
    .command('reset-password')
    .description(
      "Give a user a generated password (printed once), to change at the next sign-in; ends the user's sessions",
    )
    .requiredOption('--email <email>', 'the user')
    .action(async (opts: { email: string }) => {
      const user = await withServices((s) => s.auth.resetPassword(opts.email));
      console.log(`Reset the password of ${user.email} (${user.id}); every session of theirs has ended.`);
      console.log(`Password (shown once; it must be changed at the next sign-in): ${user.password}`);
    });

  admin
    .command('create-tenant')
    .description('Create a tenant, optionally with an existing user as its owner')
    .requiredOption('--slug <slug>', 'url name, e.g. acme')
    .requiredOption('--name <name>', 'display name')
    .option('--plan <plan>', `one of ${PLANS.join(', ')}`, oneOf(PLANS, '--plan'), 'free' as Plan)
    .option('--owner <email>', 'existing user who becomes the owner')
    .action(async (opts: { slug: string; name: string; plan: Plan; owner?: string }) => {
      const tenant = await withServices((s) =>
        s.tenants.createAsOperator({ slug: opts.slug, name: opts.name, plan: opts.plan }, opts.owner),
      );
      console.log(`Created tenant ${tenant.slug} (${tenant.id}), plan ${tenant.plan}.`);
    });

  admin
    .command('create-token')
    .description('Create an API key in a tenant; prints the client ID, secret key and token once')
    .requiredOption('--tenant <slug>', 'tenant slug or id')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, oneOf(ROLES, '--role'))
    .requiredOption('--description <text>', 'what the key is for')
    .option('--expires-in-days <n>', 'days until it expires', (v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new CliError('--expires-in-days must be a positive integer', 2);
      return Number(v);
    })
    .option('--never-expires', 'create a key that never expires')
    .action(
      async (opts: {
        tenant: string;
        role: Role;
        description: string;
        expiresInDays?: number;
        neverExpires?: boolean;
      }) => {
        if ((opts.expiresInDays === undefined) === !opts.neverExpires) {
          throw new CliError('give exactly one of --expires-in-days N or --never-expires', 2);
        }
        const key = await withServices(async (s) => {
          const tenant = await s.tenants.operatorScope(opts.tenant);
          return s.apiKeys.create(
            { principal: null, requestId: null, ip: null, tenant },
            {
              description: opts.description,
              role: opts.role,
              ...(opts.neverExpires ? { never_expires: true as const } : { expires_in_days: opts.expiresInDays }),
            },
          );
        });
        console.log(`Created API key ${key.id} (${key.role}) in ${opts.tenant}; expires ${key.expires_at ?? 'never'}.`);
        console.log('Shown once; store them now:');
        console.log(`  client ID:  ${key.client_id}`);
        console.log(`  secret key: ${key.secret_key}`);
        console.log(`  token:      ${key.token}`);
      },
    );
}
