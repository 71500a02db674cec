/**
 * Applies the versioned migrations in `migrations/`. All pending migrations
 * run in one transaction on both dialects, so a failure leaves the database
 * exactly as it was.
 */
import { type Kysely, type Migration, type MigrationResult, Migrator } from 'kysely';
import { migrations } from '../../../migrations/index.ts';

export interface MigrateOutcome {
  applied: string[];
  error: Error | null;
}

const MIGRATION_TABLE = 'infracast_migrations';

// Kysely looks for its bookkeeping tables in every schema unless told which one;
// with several schemas in one database (tests, tenants of a shared server) that finds the wrong one.
export function createMigrator(
  db: Kysely<any>,
  schema: string | null = null,
  list: Record<string, Migration> = migrations,
): Migrator {
  return new Migrator({
    db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => list },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: 'infracast_migrations_lock',
  });
}

export async function migrateToLatest(
  db: Kysely<any>,
  schema: string | null = null,
  list: Record<string, Migration> = migrations,
): Promise<MigrateOutcome> {
  const unknown = await unknownMigrations(db, schema, list);
  if (unknown.length > 0) return { applied: [], error: new Error(newerDatabaseMessage(unknown)) };
  const { error, results } = await createMigrator(db, schema, list).migrateToLatest();
  const applied = (results ?? []).filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName);
  if (error) {
    const failed = (results ?? []).find((r) => r.status === 'Error');
    const cause = error instanceof Error ? error : new Error(String(error));
    return {
      applied: [],
      error: new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause.message}`, { cause }),
    };
  }
  return { applied, error: null };
}

export async function pendingMigrations(db: Kysely<any>, schema: string | null = null): Promise<string[]> {
  const all = await createMigrator(db, schema).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/**
 * Migrations the database has applied that this version does not have: it was migrated by a newer version of
 * Infracast (a rollback of a deployment). Nothing can be applied, and the server must not start on it.
 */
export async function unknownMigrations(
  db: Kysely<any>,
  schema: string | null = null,
  list: Record<string, Migration> = migrations,
): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === MIGRATION_TABLE && (!schema || t.schema === schema))) return [];
  const rows = await (schema ? db.withSchema(schema) : db).selectFrom(MIGRATION_TABLE).select('name').execute();
  return rows
    .map((r: { name: string }) => r.name)
    .filter((name: string) => !Object.hasOwn(list, name))
    .sort();
}

export function newerDatabaseMessage(unknown: string[]): string {
  return (
    `the database was migrated by a newer version of Infracast: it has applied ${unknown.join(', ')}, ` +
    'which this version does not know; run that version (or a newer one) against it'
  );
}
