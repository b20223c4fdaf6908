// deploy/: the KServe manifests parse and carry what KServe needs to run `wacs serve` as a custom
// Open Inference Protocol runtime, and the Dockerfile installs published packages without build tools.
import { repoRoot, runWacs } from '@wacs/fixtures';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const deploy = join(repoRoot, 'deploy');

function manifest(file: string): Record<string, any> {
  const docs = parseAllDocuments(readFileSync(join(deploy, 'kserve', file), 'utf8'));
  expect(docs).toHaveLength(1);
  expect(docs[0]!.errors).toEqual([]);
  return docs[0]!.toJS() as Record<string, any>;
}

/** The value after a flag in an argument list. */
function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

const runtime = manifest('serving-runtime.yaml');
const service = manifest('inference-service.yaml');
const container = runtime.spec?.containers?.[0];
const args: string[] = container?.args ?? [];

describe('deploy/kserve', () => {
  it('ServingRuntime: kind, formats, protocol v2, the kserve-container running wacs serve on its declared port', () => {
    expect(runtime).toMatchObject({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime', metadata: { name: expect.any(String) } });
    expect(runtime.spec.supportedModelFormats.length).toBeGreaterThan(0);
    for (const format of runtime.spec.supportedModelFormats) expect(format).toMatchObject({ name: expect.any(String), version: expect.any(String) });
    expect(runtime.spec.protocolVersions).toContain('v2');
    expect(container).toMatchObject({ name: 'kserve-container', image: expect.stringMatching(/:\d+\.\d+\.\d+$/) });
    expect(args[0]).toBe('serve');
    expect(args.every((a) => typeof a === 'string')).toBe(true);
    expect(flag(args, '--host')).toBe('0.0.0.0');
    const port = Number(flag(args, '--port'));
    expect(container.ports).toEqual([expect.objectContaining({ containerPort: port, protocol: 'TCP' })]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/v2/health/ready', port });
    // The model KServe's storage initializer downloads, registered under the InferenceService's name.
    expect(flag(args, '--model')).toBe('{{.Name}}=/mnt/models/model.onnx');
    expect(Number(runtime.spec.annotations['prometheus.kserve.io/port'])).toBe(Number(flag(args, '--metrics-port')));
  });

  it('InferenceService: uses the runtime with a format and protocol it supports, and scales on concurrency', () => {
    expect(service).toMatchObject({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: expect.any(String) } });
    const { predictor } = service.spec;
    expect(predictor.model.runtime).toBe(runtime.metadata.name);
    expect(runtime.spec.supportedModelFormats.map((f: { name: string }) => f.name)).toContain(predictor.model.modelFormat.name);
    expect(runtime.spec.protocolVersions).toContain(predictor.model.protocolVersion);
    expect(predictor.model.storageUri).toMatch(/\/model\.onnx$/);
    expect(predictor).toMatchObject({ scaleMetric: 'concurrency', scaleTarget: expect.any(Number), minReplicas: expect.any(Number), maxReplicas: expect.any(Number) });
    expect(predictor.maxReplicas).toBeGreaterThanOrEqual(predictor.minReplicas);
  });

  it('every flag the runtime passes is one wacs serve knows', async (context) => {
    const help = await runWacs(['serve', '--help']);
    if (help.code !== 0 || !help.stdout.includes('Usage: wacs serve')) {
      console.warn('skipping: this build has no `wacs serve` (issue #17); the flags are checked once it lands');
      return context.skip();
    }
    for (const a of args.filter((x) => x.startsWith('--'))) expect(help.stdout, a).toContain(a);
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = readFileSync(join(deploy, 'Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');

  it('starts from Node 20 and installs published, pinned wacs packages with npm, and no build tools', () => {
    expect(instructions).toMatch(/^FROM node:20[\w.-]*$/m);
    expect(instructions).not.toMatch(/apt-get|apk add|build-essential|gcc|g\+\+|make|python3?|cmake|pnpm|COPY/);
    const installed = [...instructions.matchAll(/(@wacs\/[\w-]+)@\$\{WACS_VERSION\}/g)].map((m) => m[1]!);
    expect(installed).toEqual(expect.arrayContaining(['@wacs/cli', '@wacs/guests', '@wacs/backend-onnx', '@wacs/backend-remote']));
    for (const name of installed) {
      const dir = name === '@wacs/guests' ? join(repoRoot, 'guests') : join(repoRoot, 'packages', name.slice('@wacs/'.length));
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; private?: boolean };
      expect(pkg.name).toBe(name);
      if (name === '@wacs/guests' && pkg.private) {
        console.warn('note: @wacs/guests is still private in this checkout; issue #20 makes it publishable');
        continue;
      }
      expect(pkg.private, `${name} must be publishable`).not.toBe(true);
    }
    expect(instructions).toContain('ONNXRUNTIME_NODE_INSTALL=skip');
    expect(instructions).toMatch(/^EXPOSE 8080$/m);
    expect(instructions).toMatch(/^USER node$/m);
  });

  it('the runtime\'s guest is the oip-server the guests package ships and declares', () => {
    const guestPath = args[1]!;
    const prefix = '/app/node_modules/@wacs/guests/';
    expect(guestPath.startsWith(prefix)).toBe(true);
    const guests = JSON.parse(readFileSync(join(repoRoot, 'guests/package.json'), 'utf8')) as { files: string[]; wacs: { guests: Record<string, string> } };
    const relative = guestPath.slice(prefix.length);
    expect(guests.files).toContain(relative);
    expect(guests.wacs.guests['oip-server']).toBe(`./${relative}`);
    expect(existsSync(join(repoRoot, 'guests/oip-server/main.ts'))).toBe(true);
  });
});
