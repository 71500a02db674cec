/**
 * SARIF 2.1.0 for code-scanning uploads: one rule per policy tag rule,
 * results at level `error` (block) or `warning` (warn), the resource address
 * as a logical location, and file/line when the plan carries them.
 */
import type { TagViolation, ValidationResult } from '../types.ts';
import { expectedText, type FormatOptions, oneLine, stableHash, targetName } from './common.ts';

interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  defaultConfiguration: { level: 'error' | 'warning' };
  properties: Record<string, unknown>;
}

export function buildSarif(result: ValidationResult, opts: FormatOptions = {}): Record<string, unknown> {
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  for (const policy of result.policies) {
    for (const rule of policy.rules) {
      ruleIndex.set(rule.rule_id, rules.length);
      rules.push({
        id: rule.rule_id,
        name: `${policy.name}: ${rule.key}`.replace(/[^\w.-]+/g, '-'),
        shortDescription: {
          text: `Tag ${rule.key}: ${rule.summary.mandatory ? 'required, ' : ''}${rule.summary.text.replaceAll('`', '')}`,
        },
        fullDescription: { text: rule.message },
        help: { text: rule.message, markdown: rule.message },
        defaultConfiguration: { level: policy.enforcement === 'block' ? 'error' : 'warning' },
        properties: { policy_id: policy.id, policy_name: policy.name, key: rule.key, tags: ['tagging', 'finops'] },
      });
    }
  }

  const results = result.violations.map((v) => sarifResult(v, ruleIndex, opts));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'infracast-tagging',
            fullName: 'Infracast tagging policy validator',
            ...(opts.toolVersion ? { version: opts.toolVersion, semanticVersion: opts.toolVersion } : {}),
            rules,
          },
        },
        results,
        columnKind: 'utf16CodeUnits',
        properties: { summary: result.summary },
      },
    ],
  };
}

function sarifResult(v: TagViolation, ruleIndex: Map<string, number>, opts: FormatOptions): Record<string, unknown> {
  const file = v.file ?? opts.defaultFile ?? null;
  const location: Record<string, unknown> = {
    logicalLocations: [
      {
        name: targetName(v),
        fullyQualifiedName: v.sub_path ? `${v.address}.${v.sub_path}` : v.address,
        kind: 'resource',
      },
    ],
  };
  if (file) {
    location.physicalLocation = {
      artifactLocation: { uri: encodeURI(file.replaceAll('\\', '/')) },
      ...(v.line ? { region: { startLine: v.line } } : {}),
    };
  }
  const index = ruleIndex.get(v.rule_id);
  return {
    ruleId: v.rule_id,
    ...(index === undefined ? {} : { ruleIndex: index }),
    level: v.enforcement === 'block' ? 'error' : 'warning',
    kind: 'fail',
    message: { text: oneLine(v) },
    locations: [location],
    partialFingerprints: {
      'infracastTagViolation/v1': stableHash(`${v.rule_id}\u0000${v.address}\u0000${v.sub_path ?? ''}\u0000${v.key}`),
    },
    properties: {
      address: v.address,
      sub_path: v.sub_path,
      module_path: v.module_path,
      resource_type: v.resource_type,
      key: v.key,
      kind: v.kind,
      actual: v.actual,
      expected: expectedText(v),
      suggestions: v.suggestions,
      policy_ids: v.policies.map((p) => p.policy_id),
    },
  };
}

export function formatSarif(result: ValidationResult, opts: FormatOptions = {}): string {
  return `${JSON.stringify(buildSarif(result, opts), null, 2)}\n`;
}
