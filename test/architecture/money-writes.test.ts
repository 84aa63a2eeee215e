import path from 'node:path';
import { readdirSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * Money fields change only through the transition functions: a payment's, a refund's or a dispute's status and
 * amounts are written in `*.transitions.ts` (which book each change in the ledger) and nowhere else. This scan
 * reads every file of the payment subgraph with the type checker and reports each assignment to such a field,
 * each `Object.assign`/`em.assign` onto such an entity, each `em.create` of one with money fields, and each raw
 * SQL `update` of their tables, outside the transition modules.
 */

const root = path.resolve(new URL('../../', import.meta.url).pathname);
const GUARDED: Record<string, ReadonlySet<string>> = {
  Payment: new Set([
    'status',
    'amount',
    'authorizedAmount',
    'applicationFeeAmount',
    'applicationFeeRefundedAmount',
    'refundedAmount',
    'providerFeeAmount',
    'disputeStatus',
    'capturedAt',
    'attempt',
    'paymentIntentId',
    'failureCode',
  ]),
  Refund: new Set(['status', 'amount', 'providerRefundId', 'failureReason']),
  Dispute: new Set(['status', 'amount', 'fundsWithdrawn', 'fundsReinstated', 'fee', 'reason', 'evidenceDueBy']),
};
const TABLES = /\bupdate\s+"?(payment|refund|dispute)"?\s/i;

const isTransitionModule = (file: string) => file.endsWith('.transitions.ts');

function scan(files: string[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => undefined,
    },
  );
  const program = ts.createProgram(files, config?.options ?? {});
  const checker = program.getTypeChecker();
  const guardedName = (node: ts.Expression): string | undefined => {
    const symbol = checker.getTypeAtLocation(node).getSymbol();
    return symbol && GUARDED[symbol.getName()] ? symbol.getName() : undefined;
  };
  const findings: string[] = [];
  const report = (node: ts.Node, what: string) => {
    const source = node.getSourceFile();
    const { line } = source.getLineAndCharacterOfPosition(node.getStart());
    findings.push(`${path.relative(root, source.fileName)}:${line + 1} ${what}`);
  };
  const guardedKeys = (entity: string, literal: ts.Expression | undefined) =>
    literal && ts.isObjectLiteralExpression(literal)
      ? literal.properties.map((p) => p.name?.getText()).filter((n): n is string => !!n && GUARDED[entity].has(n))
      : [];

  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`not in the program: ${file}`);
    const visit = (node: ts.Node): void => {
      const target =
        ts.isBinaryExpression(node) &&
        node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
        node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
          ? node.left
          : (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
              (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
            ? node.operand
            : undefined;
      if (target && ts.isPropertyAccessExpression(target)) {
        const entity = guardedName(target.expression);
        if (entity && GUARDED[entity].has(target.name.text)) report(node, `writes ${entity}.${target.name.text}`);
      }
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
        const method = node.expression.name.text;
        const [first, second] = node.arguments;
        if ((method === 'assign' && first) || method === 'create') {
          const entity =
            method === 'create' && first && ts.isIdentifier(first) && GUARDED[first.text]
              ? first.text
              : first && guardedName(first);
          const keys = entity ? guardedKeys(entity, second) : [];
          if (entity && keys.length) report(node, `${method}s ${entity} with ${keys.join(', ')}`);
        }
      }
      if (ts.isStringLiteralLike(node) && TABLES.test(node.text)) report(node, 'updates a money table in SQL');
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return findings;
}

describe('money fields change only through the transition functions', () => {
  it('no file of the payment subgraph outside *.transitions.ts writes one', () => {
    const files = readdirSync(path.join(root, 'subgraphs/payment'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !/(^|\/)(test|migrations)\//.test(f) && !isTransitionModule(f))
      .map((f) => path.join(root, 'subgraphs/payment', f));
    expect(files.length).toBeGreaterThan(30);
    expect(scan(files)).toEqual([]);
  }, 60_000);

  it('the scan finds each kind of write (a fixture that breaks the rule on purpose)', () => {
    expect(scan([path.join(root, 'test/architecture/fixtures/money-write-outside.ts')])).toEqual([
      'test/architecture/fixtures/money-write-outside.ts:7 writes Payment.amount',
      'test/architecture/fixtures/money-write-outside.ts:8 writes Payment.refundedAmount',
      'test/architecture/fixtures/money-write-outside.ts:9 writes Refund.status',
      'test/architecture/fixtures/money-write-outside.ts:10 assigns Payment with applicationFeeAmount',
    ]);
  }, 60_000);
});
