/**
 * Applies the versioned migrations in `migrations/`. All pending migrations
 * run in one transaction on both dialects, so a failure leaves the database
 * exactly as it was.
 */
import { type Kysely, type MigrationResult, Migrator } from 'kysely';
import { migrations } from '../../../migrations/index.ts';

export interface MigrateOutcome {
  applied: string[];
  error: Error | null;
}

export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'infracast_migrations',
    migrationLockTableName: 'infracast_migrations_lock',
  });
}

export async function migrateToLatest(db: Kysely<any>): Promise<MigrateOutcome> {
  const { error, results } = await createMigrator(db).migrateToLatest();
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

export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const all = await createMigrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
