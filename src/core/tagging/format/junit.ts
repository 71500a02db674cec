/**
 * JUnit XML in the shape Jenkins, GitLab, Azure DevOps and CircleCI read:
 * one <testsuite> per policy, one <testcase> per resource the policy
 * applied to, a <failure> per violation (type = enforcement), and
 * <skipped> for resources whose tags are known only after apply.
 */
import type { TagViolation, ValidationResult } from '../types.ts';
import { expectedText, type FormatOptions, problemText, suggestionText, targetName } from './common.ts';

/** XML 1.0 forbids most control characters even when escaped. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

function failureBody(v: TagViolation): string {
  const lines = [`${targetName(v)}: ${problemText(v)}`, expectedText(v), v.message];
  const suggestion = suggestionText(v);
  if (suggestion) lines.push(suggestion);
  return lines.join('\n');
}

export function formatJunit(result: ValidationResult, _opts: FormatOptions = {}): string {
  const byAddress = new Map<string, TagViolation[]>();
  for (const v of result.violations) {
    const list = byAddress.get(v.address);
    if (list) list.push(v);
    else byAddress.set(v.address, [v]);
  }
  const suites: string[] = [];
  let totalTests = 0;
  let totalFailures = 0;
  let totalSkipped = 0;
  for (const policy of result.policies) {
    const cases: string[] = [];
    let failures = 0;
    let skipped = 0;
    for (const resource of result.resources) {
      if (!resource.policy_ids.includes(policy.id)) continue;
      const violations = (byAddress.get(resource.address) ?? []).filter((v) =>
        v.policies.some((p) => p.policy_id === policy.id),
      );
      const name = xml(resource.address);
      const classname = xml(`infracast.tagging.${policy.id}`);
      if (violations.length > 0) {
        failures++;
        const body = violations
          .map((v) => {
            const own = v.policies.find((p) => p.policy_id === policy.id)!;
            const message = `${problemText(v)}: ${own.message}`;
            return `      <failure message="${xml(message)}" type="${own.enforcement}">${xml(failureBody({ ...v, message: own.message }))}</failure>`;
          })
          .join('\n');
        cases.push(`    <testcase classname="${classname}" name="${name}" time="0">\n${body}\n    </testcase>`);
      } else if (resource.checks.some((c) => c.policy_id === policy.id && c.status === 'unknown')) {
        skipped++;
        cases.push(
          `    <testcase classname="${classname}" name="${name}" time="0">\n      <skipped message="tags known only after apply"/>\n    </testcase>`,
        );
      } else {
        cases.push(`    <testcase classname="${classname}" name="${name}" time="0"/>`);
      }
    }
    totalTests += cases.length;
    totalFailures += failures;
    totalSkipped += skipped;
    suites.push(
      `  <testsuite name="${xml(`${policy.name} (${policy.id})`)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0">` +
        (cases.length ? `\n${cases.join('\n')}\n  </testsuite>` : '\n  </testsuite>'),
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="infracast tagging" tests="${totalTests}" failures="${totalFailures}" errors="0" skipped="${totalSkipped}" time="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
