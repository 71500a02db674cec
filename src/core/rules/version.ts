/**
 * The version of the rule catalogue. Findings are evaluated again when it is higher than the version their
 * last evaluation ran, so that an upgrade which changes rules reaches every tenant's findings and scores at
 * their next read, not only after the tenant's next inventory change. It only goes up: during a rolling
 * upgrade an older instance never re-evaluates what a newer one did.
 *
 * Change it with the rules: test/core/rules/version.test.ts fails while `RULES_SOURCE_SHA256` (the SHA-256
 * of this folder's other files) does not match them, and says the new value.
 */
export const RULES_VERSION = 1;

export const RULES_SOURCE_SHA256 = 'b7867766fe6661cb6a4c827314707a9270e4be504e1a34730ee8e146c2ba46a5';
