/** The rule engine: built-in rules over the inventory graph, and compliance scoring. Pure, no I/O. */
export { RULES, ruleById, ruleInfo } from './catalogue.ts';
export { edgeTypesRead, evaluateRules, evaluateRulesInSteps, graphView } from './engine.ts';
export { FRAMEWORKS, type FrameworkInfo, frameworkById } from './frameworks.ts';
export * from './scoring.ts';
export * from './types.ts';
export { RULES_VERSION } from './version.ts';
