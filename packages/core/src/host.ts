/** The wasi:nn host on Node.js: `NnHostBase` with named models on the host's file system. */
import type { FormatProbe } from './backend.js';
import { probePath } from './detect.js';
import { NnHostBase, type HostOptions } from './host-base.js';
import type { ModelRegistry } from './model-registry.js';
import type { BackendRegistry } from './registry.js';

export { NnSession, type HostOptions } from './host-base.js';

export class NnHost extends NnHostBase {
  constructor(backends?: BackendRegistry, models?: ModelRegistry, options: HostOptions = {}) {
    super(backends, models, { ...options, log: options.log ?? ((line) => process.stderr.write(`${line}\n`)) });
  }

  protected probeModel(path: string): Promise<FormatProbe> {
    return probePath(path);
  }
}
