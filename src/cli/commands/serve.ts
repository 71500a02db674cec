import type { Command } from 'commander';
import { StartupError, startServer } from '../../server.ts';
import { CliError, configFromEnv } from '../shared.ts';

export function registerServeCommand(program: Command, version: string) {
  program
    .command('serve')
    .description('Start the API server (and the background worker) — applies migrations first')
    .action(async () => {
      const config = configFromEnv();
      let runtime: Awaited<ReturnType<typeof startServer>>;
      try {
        runtime = await startServer(config, { version });
      } catch (e) {
        if (e instanceof StartupError) throw new CliError(e.message);
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new CliError(`port ${config.port} on ${config.host} is already in use (set INFRACAST_PORT)`);
        }
        throw e;
      }
      let signals = 0;
      const stop = (signal: string) => {
        signals += 1;
        if (signals > 1) process.exit(130); // a second Ctrl-C means now
        runtime.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
        runtime.close().then(
          () => process.exit(0),
          (err) => {
            runtime.app.log.error({ err }, 'error during shutdown');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
