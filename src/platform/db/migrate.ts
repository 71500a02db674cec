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
    migrationTableName: 'infracast_migrations',
    migrationLockTableName: 'infracast_migrations_lock',
  });
}

export async function migrateToLatest(
  db: Kysely<any>,
  schema: string | null = null,
  list: Record<string, Migration> = migrations,
): Promise<MigrateOutcome> {
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
