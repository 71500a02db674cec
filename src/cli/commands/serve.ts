import type { Command } from 'commander';
import type { startServer } from '../../server.ts';
import { CliError, configFromEnv } from '../shared.ts';

export function registerServeCommand(program: Command, version: string) {
  program
    .command('serve')
    .description('Start the API server (and the background worker) — applies migrations first')
    .addHelpText(
      'after',
      `
Configured by INFRACAST_* variables (README, Configuration), e.g. INFRACAST_PORT, INFRACAST_DATABASE_URL;
INFRACAST_WORKER=false leaves background jobs to \`infracast worker\` processes.

Examples:
  $ infracast serve
  $ INFRACAST_PORT=9000 INFRACAST_DATA_DIR=/var/lib/infracast infracast serve
  $ INFRACAST_DATABASE_URL=postgres://infracast@db/infracast INFRACAST_WORKER=false infracast serve`,
    )
    .action(async () => {
      const config = configFromEnv();
      // The server (Fastify, drivers, every module) is loaded once the configuration is known
      // to be good, so a bad variable is reported at once.
      const { StartupError, startServer: start } = await import('../../server.ts');
      let runtime: Awaited<ReturnType<typeof startServer>>;
      try {
        runtime = await start(config, { version });
      } catch (e) {
        if (e instanceof StartupError) throw new CliError(e.message);
        const listenError = listenFailure(e as NodeJS.ErrnoException, config.host, config.port);
        if (listenError) throw new CliError(listenError);
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

/** One line for the ways listening can fail, naming the variable to change; null for anything else. */
function listenFailure(e: NodeJS.ErrnoException, host: string, port: number): string | null {
  switch (e.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use (set INFRACAST_PORT)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${host}: no such address on this machine (set INFRACAST_HOST)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${host}: the host name does not resolve (set INFRACAST_HOST)`;
    case 'EACCES':
      return `not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges; set INFRACAST_PORT)`;
    default:
      return null;
  }
}
