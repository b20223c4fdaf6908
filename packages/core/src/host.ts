/** The wasi:nn host on Node.js: `NnHostBase` with named models on the host's file system. */
import { existsSync } from 'node:fs';
import type { FormatProbe } from './backend.js';
import { isModelUrl, probePath } from './detect.js';
import { NnError } from './errors.js';
import { NnHostBase, type HostOptions } from './host-base.js';
import type { ModelRegistry } from './model-registry.js';
import type { BackendRegistry } from './registry.js';

export { NnSession, type HostOptions } from './host-base.js';

export class NnHost extends NnHostBase {
  constructor(backends?: BackendRegistry, models?: ModelRegistry, options: HostOptions = {}) {
    super(backends, models, { ...options, log: options.log ?? ((line) => process.stderr.write(`${line}\n`)) });
  }

  protected async probeModel(path: string, name: string): Promise<FormatProbe> {
    // As in WasmEdge, a registered model whose file is missing fails when a guest loads it
    // (model_not_found), not at start. A server address (backend-remote) has no file to check.
    if (!isModelUrl(path) && !existsSync(path)) throw new NnError('not-found', `model file not found: ${path} (registered as "${name}")`, 'model-not-found');
    return probePath(path);
  }
}
