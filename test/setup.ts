// Shared test setup. Tests that need PostgreSQL or Redis read their URLs via test/helpers/env.ts.
process.env.TZ = 'UTC';
