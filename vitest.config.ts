import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    // Vitest's default is one worker per core minus one: a single worker on a 2-core
    // machine, although most test time is spent waiting on child processes, sockets and
    // databases. Two keep CI (both passes) well under 20 minutes there.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ['test/setup.ts'],
  },
});
