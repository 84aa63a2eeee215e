/**
 * Validation of manifests against the Kubernetes OpenAPI schemas, without a cluster:
 * 1. `kubernetes-models` (models and validators generated from the Kubernetes OpenAPI spec): types, formats
 *    (quantities, int-or-string), required fields and enums of every object;
 * 2. unknown fields, which the generated validators let through but `kubectl apply` (strict field validation)
 *    refuses: every object is type-checked by TypeScript against the same package's interfaces, whose excess
 *    property checks catch a misspelt or misplaced field.
 */
import path from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './kustomize.js';

/** `apps/v1` + `Deployment` → `kubernetes-models/apps/v1/Deployment`. */
export function modelPath(object: Pick<K8sObject, 'apiVersion' | 'kind'>): string {
  return `kubernetes-models/${object.apiVersion}/${object.kind}`;
}

interface Model {
  validate(): void;
}

/** Schema errors per object (`Kind/name: message`); empty when all are valid. */
export async function schemaErrors(objects: K8sObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata?.name}`;
    let Ctor: new (data: unknown) => Model;
    try {
      const module = (await import(modelPath(object))) as Record<string, new (data: unknown) => Model>;
      Ctor = module[object.kind];
    } catch {
      errors.push(`${id}: no Kubernetes schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new Ctor(object).validate();
    } catch (error) {
      errors.push(`${id}: ${(error as Error).message}`);
    }
  }
  return errors;
}

/** Unknown-field errors per object, from TypeScript's excess property checks against the package's interfaces. */
export function unknownFieldErrors(objects: K8sObject[], root: string): string[] {
  const file = path.join(root, 'test', 'deploy', '__manifests__.generated.ts');
  const lines: string[] = [];
  const imported = new Map<string, string>();
  objects.forEach((object, index) => {
    const key = modelPath(object);
    if (!imported.has(key)) {
      const alias = `T${imported.size}`;
      imported.set(key, alias);
      lines.unshift(`import type { I${object.kind} as ${alias} } from '${key}';`);
    }
    lines.push(
      `// ${object.kind}/${object.metadata.name}`,
      `export const m${index}: ${imported.get(key)} = ${JSON.stringify(object, null, 1)};`,
    );
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    path.resolve(name) === file
      ? ts.createSourceFile(name, source, language, true)
      : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (path.resolve(name) === file ? source : readFile(name));
  const program = ts.createProgram([file], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file && path.resolve(d.file.fileName) === file);
  return diagnostics.map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
    const owner =
      source
        .split('\n')
        .slice(0, line + 1)
        .reverse()
        .find((l) => l.startsWith('// ')) ?? '';
    return `${owner.slice(3)}: ${text.split('\n').slice(0, 3).join(' / ')}`;
  });
}
