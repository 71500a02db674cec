import type { Command } from 'commander';
import { DatabaseConnectError, openDatabase } from '../../platform/db/index.ts';
import {
  migrateToLatest,
  newerDatabaseMessage,
  pendingMigrations,
  unknownMigrations,
} from '../../platform/db/migrate.ts';
import { CliError, configFromEnv } from '../shared.ts';

export function registerMigrateCommand(program: Command) {
  program
    .command('migrate')
    .description('Apply pending database migrations (also done by serve on start)')
    .option('--status', 'list pending migrations without applying them')
    .action(async (opts: { status?: boolean }) => {
      const config = configFromEnv();
      const database = await openDatabase(config.database).catch((e) => {
        throw e instanceof DatabaseConnectError ? new CliError(e.message) : e;
      });
      try {
        if (opts.status) {
          const unknown = await unknownMigrations(database.db, database.schema);
          if (unknown.length > 0) throw new CliError(newerDatabaseMessage(unknown));
          const pending = await pendingMigrations(database.db, database.schema);
          console.log(pending.length === 0 ? 'Database is up to date.' : `Pending:\n  ${pending.join('\n  ')}`);
          return;
        }
        const { applied, error } = await migrateToLatest(database.db, database.schema);
        if (error) throw new CliError(`${error.message} (nothing was applied)`);
        console.log(applied.length === 0 ? 'Database is up to date.' : `Applied:\n  ${applied.join('\n  ')}`);
      } finally {
        await database.close();
      }
    });
}
