/**
 * What both ways of answering a guest need, in the page (bridge) or in the guest's worker (JSPI):
 * the backends bound (imported where given as modules), each load reported, and a host with one
 * session whose operations the component front end calls.
 */
import type { Backend, LoadRequest } from '@wacs/core/backend';
import { BackendRegistry, ModelRegistry, type ModelSpec } from '@wacs/core/browser';
import { BrowserHost, componentOperations } from './host.js';
import type { BackendModule, BackendReport, LoadReport } from './messages.js';

/** A backend module's exports: a default `Backend`, and `configure` where it has settings. */
type BackendModuleExports = { default: Backend; configure?: (settings: Record<string, unknown>) => void };

/** A backend to bind: given as it is, or a module to import (absolute URL) and configure. */
export type BoundBackend = { backend: Backend; priority: number } | BackendModule;

/** A backend wrapped so that each load is reported before it runs. */
function reportingLoads(backend: Backend, report: (load: LoadReport) => void): Backend {
  return {
    ...backend,
    load: (request: LoadRequest) => {
      report({ backend: backend.name, model: request.name ?? '(bytes from the guest)', target: request.target });
      return backend.load(request);
    },
  };
}

export interface GuestSessionOptions {
  /** Where a backend's stream-stdout prints: the guest's stdout. */
  stdout: (text: string) => void;
  onLoad?: (load: LoadReport) => void;
  log?: (line: string) => void;
}

/** The bound backends (with their hardware, for the page to show) and a session on a host of them. */
export async function startGuestSession(bound: BoundBackend[], models: Record<string, ModelSpec>, options: GuestSessionOptions) {
  const backends = new BackendRegistry();
  const reports: BackendReport[] = [];
  for (const entry of bound) {
    let backend: Backend;
    if ('backend' in entry) backend = entry.backend;
    else {
      const module = (await import(/* @vite-ignore */ entry.url)) as BackendModuleExports;
      module.configure?.({ ...entry.settings, stdout: options.stdout });
      backend = module.default;
    }
    reports.push({ name: backend.name, variants: (await backend.hardware?.()) ?? [] });
    backends.register(options.onLoad ? reportingLoads(backend, options.onLoad) : backend, entry.priority);
  }
  const registry = new ModelRegistry();
  for (const [name, spec] of Object.entries(models)) registry.add(name, spec);
  const host = new BrowserHost(backends, registry, options.log ? { log: options.log } : {});
  const session = host.session();
  return {
    reports,
    /** The operations the component front end calls (core's `componentNnImports`), by name. */
    operations: componentOperations(session),
    close: async () => {
      await session.close();
      await host.dispose();
    },
  };
}
