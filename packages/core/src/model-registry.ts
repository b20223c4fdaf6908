/**
 * The named-model registry behind `load-by-name`. A name is only ever a key into this map: a guest
 * asking for `../../etc/passwd` or `/abs/path` gets `not-found`, never a file.
 */
import type { ExecutionTarget, GraphEncoding, Options } from './backend.js';
import { NnError } from './errors.js';

export interface ModelSpec {
  /** A file, or a folder for folder formats (GenAI, tfjs); in a browser, a URL. */
  path: string;
  encoding?: GraphEncoding;
  /** Force a backend by name instead of resolving by encoding. */
  backend?: string;
  target?: ExecutionTarget;
  /** Graph options passed to the backend's `load`. */
  options?: Options;
}

export class ModelRegistry {
  private readonly specs = new Map<string, ModelSpec>();

  add(name: string, spec: ModelSpec): void {
    if (!name) throw new Error('a model name cannot be empty');
    this.specs.set(name, spec);
  }

  get(name: string): ModelSpec {
    const spec = this.specs.get(name);
    if (!spec) {
      const known = this.names();
      throw new NnError(
        'not-found',
        `no model is registered under the name "${name}"; registered: ${known.length ? known.join(', ') : '(none; use --model name=path)'}`,
      );
    }
    return spec;
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  names(): string[] {
    return [...this.specs.keys()];
  }
}
