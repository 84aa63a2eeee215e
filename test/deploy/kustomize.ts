/**
 * A strict renderer for the subset of kustomize that deploy/k8s uses (no kustomize binary on these machines):
 * resources (files and folders), namespace, labels (without selectors), images, JSON 6902 patches with a target,
 * and config map / secret generators without hash suffixes. Anything else in a kustomization is an error, so the
 * manifests cannot quietly use a feature this renderer would get wrong.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
};

const SUPPORTED = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'labels',
  'images',
  'patches',
  'configMapGenerator',
  'secretGenerator',
]);
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'StorageClass',
]);

interface Kustomization {
  resources?: string[];
  namespace?: string;
  labels?: Array<{ pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ target: { kind: string; name?: string }; patch: string }>;
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
}

interface Generator {
  name: string;
  files?: string[];
  literals?: string[];
  options?: { disableNameSuffixHash?: boolean; labels?: Record<string, string> };
}

/** Reads YAML documents (skipping empty ones). */
export function readManifests(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((doc): doc is K8sObject => doc !== null);
}

export function renderKustomization(dir: string): K8sObject[] {
  const file = path.join(dir, 'kustomization.yaml');
  const k = parseYaml(readFileSync(file, 'utf8')) as Kustomization & Record<string, unknown>;
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length) throw new Error(`${file}: not supported by the test renderer: ${unsupported.join(', ')}`);

  let objects: K8sObject[] = [];
  for (const resource of k.resources ?? []) {
    const target = path.resolve(dir, resource);
    if (!existsSync(target)) throw new Error(`${file}: resource ${resource} does not exist`);
    objects.push(...(statSync(target).isDirectory() ? renderKustomization(target) : readManifests(target)));
  }
  for (const generator of k.configMapGenerator ?? []) objects.push(generate(dir, 'ConfigMap', generator));
  for (const generator of k.secretGenerator ?? []) objects.push(generate(dir, 'Secret', generator));

  for (const { pairs, includeSelectors, includeTemplates } of k.labels ?? []) {
    if (includeSelectors) throw new Error(`${file}: labels with includeSelectors are not supported`);
    for (const object of objects) {
      object.metadata.labels = { ...object.metadata.labels, ...pairs };
      const template = podTemplateMeta(object);
      if (includeTemplates && template) template.labels = { ...template.labels, ...pairs };
    }
  }
  for (const { target, patch } of k.patches ?? []) {
    const operations = parseYaml(patch) as unknown;
    if (!Array.isArray(operations))
      throw new Error(`${file}: only JSON 6902 patches (a list of operations) are supported`);
    const matched = objects.filter(
      (o) => o.kind === target.kind && (target.name === undefined || o.metadata.name === target.name),
    );
    if (matched.length === 0)
      throw new Error(`${file}: patch target ${target.kind}/${target.name ?? '*'} matches nothing`);
    objects = objects.map((o) => (matched.includes(o) ? applyJsonPatch(o, operations as JsonPatchOperation[]) : o));
  }
  for (const image of k.images ?? []) {
    for (const container of objects.flatMap(containersOf)) {
      const [name, tag] = splitImage(container.image);
      if (name !== image.name) continue;
      container.image = `${image.newName ?? name}:${image.newTag ?? tag ?? 'latest'}`;
    }
  }
  if (k.namespace) {
    for (const object of objects) if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = k.namespace;
  }
  const seen = new Set<string>();
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(id)) throw new Error(`${file}: ${id} is defined twice`);
    seen.add(id);
  }
  return objects;
}

function generate(dir: string, kind: 'ConfigMap' | 'Secret', generator: Generator): K8sObject {
  if (!generator.options?.disableNameSuffixHash)
    throw new Error(`generator ${generator.name}: name suffix hashes are not supported by the test renderer`);
  const data: Record<string, string> = {};
  for (const entry of generator.files ?? []) {
    const [key, source] = entry.includes('=') ? entry.split('=', 2) : [path.basename(entry), entry];
    const resolved = path.resolve(dir, source);
    if (!resolved.startsWith(path.resolve(dir) + path.sep))
      throw new Error(`generator ${generator.name}: ${source} is outside the kustomization (kustomize refuses it)`);
    data[key] = readFileSync(resolved, 'utf8');
  }
  for (const literal of generator.literals ?? []) {
    const at = literal.indexOf('=');
    data[literal.slice(0, at)] = literal.slice(at + 1);
  }
  const encoded =
    kind === 'Secret'
      ? Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]))
      : data;
  const unknown = Object.keys(generator.options).filter((key) => key !== 'disableNameSuffixHash' && key !== 'labels');
  if (unknown.length)
    throw new Error(`generator ${generator.name}: options not supported by the test renderer: ${unknown.join(', ')}`);
  return {
    apiVersion: 'v1',
    kind,
    metadata: {
      name: generator.name,
      ...(generator.options.labels ? { labels: { ...generator.options.labels } } : {}),
    },
    ...(kind === 'Secret' ? { type: 'Opaque' } : {}),
    data: encoded,
  };
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
  }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string } }>;
}

/** The pod template of a workload (Deployment, Job, …), if any. */
export function podTemplateOf(
  object: K8sObject,
): { metadata?: { labels?: Record<string, string> }; spec: PodSpec } | undefined {
  const spec = object.spec as
    { template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } } | undefined;
  return spec?.template;
}

function podTemplateMeta(object: K8sObject): { labels?: Record<string, string> } | undefined {
  const template = podTemplateOf(object);
  if (!template) return undefined;
  template.metadata ??= {};
  return template.metadata;
}

export function containersOf(object: K8sObject): Container[] {
  const spec = podTemplateOf(object)?.spec;
  return spec ? [...spec.containers, ...(spec.initContainers ?? [])] : [];
}

function splitImage(image: string): [string, string | undefined] {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}

interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** RFC 6902 add / replace / remove (what the overlays use); a path that does not exist is an error. */
export function applyJsonPatch<T>(document: T, operations: JsonPatchOperation[]): T {
  const result = structuredClone(document) as unknown;
  for (const { op, path: pointer, value } of operations) {
    const segments = pointer
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = segments.pop();
    if (last === undefined) throw new Error(`patch path "${pointer}" is empty`);
    let parent = result as Record<string, unknown> | unknown[];
    for (const segment of segments) {
      const next = Array.isArray(parent) ? parent[Number(segment)] : parent[segment];
      if (next === undefined || next === null || typeof next !== 'object')
        throw new Error(`patch path "${pointer}": "${segment}" does not exist`);
      parent = next as Record<string, unknown> | unknown[];
    }
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length || (op !== 'add' && index >= parent.length))
        throw new Error(`patch path "${pointer}": bad index`);
      if (op === 'add') parent.splice(index, 0, structuredClone(value));
      else if (op === 'replace') parent[index] = structuredClone(value);
      else parent.splice(index, 1);
    } else {
      if (op !== 'add' && !(last in parent)) throw new Error(`patch path "${pointer}": "${last}" does not exist`);
      if (op === 'remove') delete parent[last];
      else parent[last] = structuredClone(value);
    }
  }
  return result as T;
}
