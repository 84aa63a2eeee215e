/**
 * The check a subgraph passes before it goes live: it composes with the configured supergraph, keeps the partner
 * rules, and breaks nothing clients or partners rely on in the published contract.
 */
import { contractChanges, type ContractChange } from './breaking.js';
import { composeConfig, type ComposeOptions, type SupergraphConfig } from './config.js';
import { isOurSubgraph, ownershipViolations, type OwnershipViolation } from './ownership.js';

export interface CheckOptions {
  config: SupergraphConfig;
  /** The published supergraph (schema/supergraph.graphql as committed). */
  contract: string;
  /** The subgraph under test; without one, the configuration as it stands (our code in CI) is checked. */
  candidate?: { name: string; sdl: string };
  ourSdl?: ComposeOptions['ourSdl'];
  today?: Date;
}

export interface CheckReport {
  subject: string;
  compositionErrors: string[];
  ownership: OwnershipViolation[];
  changes: ContractChange[];
  passed: boolean;
  /** The composed candidate supergraph, when it composed. */
  supergraphSdl?: string;
}

export async function checkSubgraph({
  config,
  contract,
  candidate,
  ourSdl,
  today,
}: CheckOptions): Promise<CheckReport> {
  const subject = candidate
    ? `subgraph "${candidate.name}"`
    : `the configured subgraphs (${config.subgraphs.map((s) => s.name).join(', ')})`;
  const { composition } = await composeConfig(config, { ourSdl, candidate });
  if (composition.errors)
    return { subject, compositionErrors: composition.errors, ownership: [], changes: [], passed: false };
  const ownership = ownershipViolations(composition.supergraphSdl, isOurSubgraph);
  const changes = await contractChanges(contract, composition.supergraphSdl, { isOurs: isOurSubgraph, today });
  const passed = ownership.length === 0 && !changes.some((c) => c.level === 'breaking');
  return { subject, compositionErrors: [], ownership, changes, passed, supergraphSdl: composition.supergraphSdl };
}

/** A report a person reads in a terminal or a CI log. */
export function formatReport(report: CheckReport): string {
  const lines = [`Schema check of ${report.subject} against the published contract`, ''];
  const section = (title: string, items: string[], mark: string, empty: string) => {
    lines.push(`${title}: ${items.length ? items.length : empty}`);
    for (const item of items) lines.push(`  ${mark} ${item}`);
  };
  section('Composition errors', report.compositionErrors, '✗', 'none');
  if (report.compositionErrors.length === 0) {
    const byLevel = (level: ContractChange['level']) =>
      report.changes.filter((c) => c.level === level).map((c) => c.message);
    section(
      'Partner rules broken',
      report.ownership.map((v) => `${v.coordinate}: ${v.message}`),
      '✗',
      'none',
    );
    section('Breaking changes', byLevel('breaking'), '✗', 'none');
    section('Dangerous changes (review them; they do not fail the check)', byLevel('dangerous'), '!', 'none');
    section('Safe changes', byLevel('safe'), '+', 'none');
  }
  lines.push('', report.passed ? 'PASSED' : 'FAILED: fix the items marked ✗ (schema/README.md explains the rules).');
  return lines.join('\n');
}
