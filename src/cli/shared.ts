/** Helpers shared by CLI commands: configuration loading and clean, one-line errors. */
import { type Config, ConfigError, loadConfig } from '../platform/config.ts';

/** An error the CLI prints as one line (no stack) before exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function configFromEnv(): Config {
  try {
    return loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(`invalid configuration: ${e.problems.join('; ')}`);
    throw e;
  }
}
