import { cpSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProcessConfig } from '../../platform/runtime-config.js';
import { loadPaymentConfig } from '../../subgraphs/payment/config.js';
import { loadSupergraphEnv } from '../../gateway/partner-config.js';
import { loadOcppSettings } from '../../ocpp/config.js';
import { SUBGRAPH_NAMES } from '../../platform/config.js';
import { schemaErrors, unknownFieldErrors } from './k8s-schema.js';
import {
  applyJsonPatch,
  containersOf,
  podTemplateOf,
  readManifests,
  renderKustomization,
  type Container,
  type K8sObject,
  type PodSpec,
} from './kustomize.js';

const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
// Rendered from a copy with the supergraph put in place, as `npm run deploy:supergraph` does before a deploy.
const k8s = path.join(root, '.cache', `k8s-test-${process.pid}`);
rmSync(k8s, { recursive: true, force: true });
cpSync(path.join(root, 'deploy', 'k8s'), k8s, { recursive: true });
copyFileSync(path.join(root, 'schema', 'supergraph.graphql'), path.join(k8s, 'base', 'supergraph.graphql'));
const overlays = {
  dev: renderKustomization(path.join(k8s, 'overlays', 'dev')),
  prod: renderKustomization(path.join(k8s, 'overlays', 'prod')),
};
const prodSecrets = readManifests(path.join(k8s, 'overlays', 'prod', 'secrets.example.yaml'));
rmSync(k8s, { recursive: true, force: true });
const PROCESSES = ['gateway', ...SUBGRAPH_NAMES, 'ocpp'] as const;
const PORTS: Record<(typeof PROCESSES)[number], number> = {
  gateway: 4000,
  operator: 4001,
  station: 4002,
  session: 4003,
  payment: 4004,
  ocpp: 4010,
};

const find = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} is missing`);
  return found;
};
const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}
/** A Kubernetes label selector (matchLabels AND every matchExpression); an empty one selects everything. */
const selects = (selector: LabelSelector, labels: Record<string, string> | undefined) =>
  matches(selector.matchLabels ?? {}, labels) &&
  (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = labels?.[key];
    if (operator === 'In') return value !== undefined && values.includes(value);
    if (operator === 'NotIn') return value === undefined || !values.includes(value);
    return operator === 'Exists' ? value !== undefined : value === undefined;
  });

describe('the renderer used by these tests', () => {
  it('applies JSON patches like RFC 6902 and refuses paths that do not exist', () => {
    const doc = { spec: { replicas: 2, list: [1, 2] } };
    expect(
      applyJsonPatch(doc, [
        { op: 'replace', path: '/spec/replicas', value: 3 },
        { op: 'add', path: '/spec/list/-', value: 3 },
        { op: 'remove', path: '/spec/list/0' },
      ]),
    ).toEqual({ spec: { replicas: 3, list: [2, 3] } });
    expect(() => applyJsonPatch(doc, [{ op: 'replace', path: '/spec/replicaz', value: 1 }])).toThrow(/does not exist/);
  });

  it('catches an unknown field and a wrong type', async () => {
    const service = find(overlays.prod, 'Service', 'gateway');
    const typo = { ...service, spec: { ...(service.spec as object), selectr: {} } } as K8sObject;
    expect(unknownFieldErrors([typo], root).join('\n')).toMatch(/selectr/);
    const badType = { ...service, spec: { ...(service.spec as object), ports: [{ port: 'eighty' }] } } as K8sObject;
    expect((await schemaErrors([badType])).join('\n')).toMatch(/port/);
  });
});

describe.each(Object.entries(overlays))('the %s overlay', (overlay, objects) => {
  const all = overlay === 'prod' ? [...objects, ...prodSecrets] : objects;

  it('validates against the Kubernetes OpenAPI schemas (types, formats, required fields, no unknown fields)', async () => {
    expect(await schemaErrors(all)).toEqual([]);
    expect(unknownFieldErrors(all, root)).toEqual([]);
  }, 60_000);

  it('has a Deployment, Service, HPA and PDB per process, probes on the health endpoints, requests and limits, non-root', () => {
    for (const name of PROCESSES) {
      const deployment = find(objects, 'Deployment', name);
      const template = podTemplateOf(deployment)!;
      const [container] = template.spec.containers;
      expect(container.image).toMatch(/^ghcr\.io\/chargegraph\/chargegraph:(dev|0\.1\.0)$/);
      expect(container.args).toEqual([name]);
      expect(container.ports).toEqual([{ name: 'http', containerPort: PORTS[name], protocol: 'TCP' }]);
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(container.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(Object.keys(container.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(container.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
      expect(template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      });

      const service = find(objects, 'Service', name);
      const spec = service.spec as {
        selector: Record<string, string>;
        ports: Array<{ port: number; targetPort: string }>;
      };
      expect(matches(spec.selector, template.metadata?.labels)).toBe(true);
      expect(spec.ports).toEqual([expect.objectContaining({ port: PORTS[name], targetPort: 'http' })]);

      const hpa = find(objects, 'HorizontalPodAutoscaler', name).spec as {
        scaleTargetRef: { kind: string; name: string };
        minReplicas: number;
        maxReplicas: number;
      };
      expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name });
      expect(hpa.maxReplicas).toBeGreaterThan(hpa.minReplicas);
      const pdb = find(objects, 'PodDisruptionBudget', name).spec as {
        selector: { matchLabels: Record<string, string> };
        minAvailable?: number;
      };
      expect(matches(pdb.selector.matchLabels, template.metadata?.labels)).toBe(true);
      if (overlay === 'prod') expect(pdb.minAvailable).toBeLessThan((deployment.spec as { replicas: number }).replicas);
    }
  });

  it('runs a migration Job per subgraph and for the OCPP process with the same image, and the pods do not migrate themselves', () => {
    for (const name of [...SUBGRAPH_NAMES, 'ocpp']) {
      const job = find(objects, 'Job', `migrate-${name}`);
      const [container] = containersOf(job);
      expect(container.args).toEqual(['migrate', name]);
      expect(container.image).toBe(containersOf(find(objects, 'Deployment', name))[0].image);
    }
    expect((find(objects, 'ConfigMap', 'chargegraph-config').data as Record<string, string>).MIGRATE_ON_START).toBe(
      'false',
    );
  });

  it('can apply settings and migration Jobs alone first (-l component in (config, migration)), with all they need', () => {
    const first = objects.filter((o) =>
      ['config', 'migration'].includes(o.metadata.labels?.['app.kubernetes.io/component'] ?? ''),
    );
    const available = new Set(
      [...first, ...(overlay === 'prod' ? prodSecrets : [])].map((o) => `${o.kind}/${o.metadata.name}`),
    );
    for (const job of first.filter((o) => o.kind === 'Job')) {
      for (const container of containersOf(job)) {
        for (const source of container.envFrom ?? [])
          expect(available, job.metadata.name).toContain(`ConfigMap/${source.configMapRef!.name}`);
        for (const variable of container.env ?? [])
          if (variable.valueFrom?.secretKeyRef)
            expect(available, job.metadata.name).toContain(`Secret/${variable.valueFrom.secretKeyRef.name}`);
      }
    }
    expect(first.filter((o) => o.kind === 'Job')).toHaveLength(SUBGRAPH_NAMES.length + 1);
    expect(first.filter((o) => o.kind === 'Deployment')).toEqual([]);
  });

  it('mounts the supergraph ConfigMap (schema/supergraph.graphql) into the gateway', () => {
    const configMap = find(objects, 'ConfigMap', 'chargegraph-supergraph').data as Record<string, string>;
    const published = readFileSync(path.join(root, 'schema', 'supergraph.graphql'), 'utf8');
    expect(configMap['supergraph.graphql'] === published).toBe(true);
    const gateway = podTemplateOf(find(objects, 'Deployment', 'gateway'))!.spec;
    expect(gateway.volumes).toContainEqual({ name: 'supergraph', configMap: { name: 'chargegraph-supergraph' } });
    const env = gateway.containers[0].env ?? [];
    expect(env.find((e) => e.name === 'SUPERGRAPH_PATH')?.value).toBe('/etc/chargegraph/supergraph/supergraph.graphql');
  });

  it('gives every process a configuration it accepts (ConfigMap + Secrets resolved as the kubelet would)', () => {
    const secrets = all.filter((o) => o.kind === 'Secret');
    for (const name of PROCESSES) {
      const [container] = containersOf(find(objects, 'Deployment', name));
      const env = resolveEnv(container, objects, secrets);
      const readers =
        name === 'payment'
          ? [loadPaymentConfig]
          : name === 'gateway'
            ? [loadSupergraphEnv]
            : name === 'ocpp'
              ? [loadOcppSettings]
              : [];
      const { config, runtime } = loadProcessConfig(env, readers);
      expect(config.NODE_ENV).toBe(overlay === 'prod' ? 'production' : 'development');
      expect(runtime.LISTEN_HOST).toBe('0.0.0.0');
      expect(runtime.SHUTDOWN_DELAY_MS + runtime.SHUTDOWN_TIMEOUT_MS).toBeLessThan(
        (find(objects, 'Deployment', name).spec as { template: { spec: { terminationGracePeriodSeconds: number } } })
          .template.spec.terminationGracePeriodSeconds * 1000,
      );
      expect(config.subgraphUrls).toEqual({
        operator: 'http://operator:4001/graphql',
        station: 'http://station:4002/graphql',
        session: 'http://session:4003/graphql',
        payment: 'http://payment:4004/graphql',
      });
      // Charger commands go to the OCPP Service (any replica routes them to the one holding the charger).
      expect(config.OCPP_URL).toBe('http://ocpp:4010');
      expect(config.ports.ocpp).toBe(4010);
    }
  });

  it('gives the OCPP process time to close every charger socket (1012) and flush before it is killed', () => {
    const spec = podTemplateOf(find(objects, 'Deployment', 'ocpp'))!.spec as PodSpec & {
      terminationGracePeriodSeconds: number;
    };
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
    const env = resolveEnv(
      spec.containers[0],
      objects,
      all.filter((o) => o.kind === 'Secret'),
    );
    const { runtime } = loadProcessConfig(env);
    expect(runtime.SHUTDOWN_TIMEOUT_MS).toBeGreaterThanOrEqual(30_000);
    expect(runtime.SHUTDOWN_DELAY_MS + runtime.SHUTDOWN_TIMEOUT_MS).toBeLessThanOrEqual(
      spec.terminationGracePeriodSeconds * 1000 - 10_000,
    );
    // Bounded heap, as for the gateway: the benchmark runs the OCPP replica with exactly these flags.
    expect(env.NODE_OPTIONS).toMatch(/--max-old-space-size=\d+/);
    const strategy = (find(objects, 'Deployment', 'ocpp').spec as { strategy: unknown }).strategy;
    expect(strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  it('lets only the gateway (and sibling subgraphs, and OCPP to station and session) reach subgraphs, the ingress controller only the gateway, payment and OCPP', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as Array<
      K8sObject & { spec: NetworkPolicySpec }
    >;
    const defaultDeny = policies.filter(
      (p) => !p.spec.podSelector.matchLabels && !p.spec.podSelector.matchExpressions && !p.spec.ingress,
    );
    expect(defaultDeny.map((p) => p.spec.policyTypes)).toEqual([['Ingress']]);
    const allowedSources = (labels: Record<string, string>) =>
      policies
        .filter((p) => selects(p.spec.podSelector, labels) && p.spec.ingress)
        .flatMap((p) => p.spec.ingress!.flatMap((rule) => rule.from.map((peer) => JSON.stringify(peer))));
    const peer = {
      gateway: { podSelector: { matchLabels: { 'app.kubernetes.io/component': 'gateway' } } },
      subgraphs: { podSelector: { matchLabels: { 'app.kubernetes.io/component': 'subgraph' } } },
      ocpp: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ocpp' } } },
      monitoring: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      ingress: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
    };
    const expected: Record<(typeof PROCESSES)[number], object[]> = {
      gateway: [peer.ingress, peer.monitoring],
      operator: [peer.gateway, peer.subgraphs, peer.monitoring],
      station: [peer.gateway, peer.subgraphs, peer.monitoring, peer.ocpp],
      session: [peer.gateway, peer.subgraphs, peer.monitoring, peer.ocpp],
      payment: [peer.gateway, peer.subgraphs, peer.monitoring, peer.ingress],
      // Chargers through the ingress; subgraphs send commands; never the gateway.
      ocpp: [peer.ingress, peer.subgraphs, peer.monitoring],
    };
    for (const name of PROCESSES) {
      const labels = podTemplateOf(find(objects, 'Deployment', name))!.metadata!.labels!;
      const sources = new Set(allowedSources(labels));
      expect([...sources].sort(), name).toEqual(expected[name].map((p) => JSON.stringify(p)).sort());
    }
    // The OCPP pods are no subgraph: the subgraph policy's peers do not include them by that label.
    expect(podTemplateOf(find(objects, 'Deployment', 'ocpp'))!.metadata!.labels!['app.kubernetes.io/component']).toBe(
      'ocpp',
    );
  });

  it("routes only the API, the IDE, the Stripe webhook and the chargers' WebSockets through the Ingresses", () => {
    const ingresses = objects.filter((o) => o.kind === 'Ingress');
    const routesOf = (ingress: K8sObject) =>
      (ingress.spec as IngressSpec).rules.flatMap((r) =>
        r.http.paths.map(
          (p) => `${r.host} ${p.pathType} ${p.path} → ${p.backend.service.name}:${p.backend.service.port.name}`,
        ),
      );
    const host = overlay === 'prod' ? 'api.chargegraph.example' : 'api.dev.chargegraph.example';
    expect(ingresses.flatMap(routesOf).sort()).toEqual(
      [
        'Exact / → gateway:http',
        'Exact /graphql → gateway:http',
        'Exact /webhooks/stripe → payment:http',
        'Prefix /ide → gateway:http',
        'Prefix /ocpp → ocpp:http',
      ].map((route) => `${host} ${route}`),
    );
    for (const ingress of ingresses) {
      const spec = ingress.spec as IngressSpec;
      expect(spec.tls.flatMap((t) => t.hosts)).toEqual([host]);
      const timeouts = ['proxy-read-timeout', 'proxy-send-timeout'].map((a) =>
        Number(ingress.metadata.annotations?.[`nginx.ingress.kubernetes.io/${a}`] ?? 60),
      );
      // Idle charger connections live for hours: an hour between reads/sends (the OCPP process pings every 30 s).
      if (routesOf(ingress).some((r) => r.includes('→ ocpp:'))) {
        expect(routesOf(ingress)).toHaveLength(1);
        expect(Math.min(...timeouts)).toBeGreaterThanOrEqual(3600);
      } else expect(Math.max(...timeouts)).toBeLessThanOrEqual(60);
    }
  });
});

interface IngressSpec {
  tls: Array<{ hosts: string[] }>;
  rules: Array<{
    host: string;
    http: {
      paths: Array<{ path: string; pathType: string; backend: { service: { name: string; port: { name: string } } } }>;
    };
  }>;
}

interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes: string[];
  ingress?: Array<{ from: unknown[] }>;
}

/** The environment a container gets: envFrom ConfigMaps, then env (values and secretKeyRefs), as the kubelet does. */
function resolveEnv(container: Container, objects: K8sObject[], secrets: K8sObject[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef) throw new Error('only configMapRef envFrom is expected');
    Object.assign(env, find(objects, 'ConfigMap', source.configMapRef.name).data as Record<string, string>);
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (!ref) {
      env[variable.name] = variable.value;
      continue;
    }
    const secret = secrets.find((s) => s.metadata.name === ref.name);
    if (!secret) throw new Error(`secret ${ref.name} (for ${variable.name}) is not defined`);
    const data = secret.data as Record<string, string> | undefined;
    const stringData = secret.stringData as Record<string, string> | undefined;
    const value =
      stringData?.[ref.key] ??
      (data?.[ref.key] !== undefined ? Buffer.from(data[ref.key], 'base64').toString('utf8') : undefined);
    if (value === undefined) throw new Error(`secret ${ref.name} has no key ${ref.key}`);
    env[variable.name] = value;
  }
  return env;
}
