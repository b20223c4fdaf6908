/**
 * The backend registry: backends register under their name with a priority (after
 * onnxruntime-common's `registerBackend(name, backend, priority)`); a load resolves to the
 * highest-priority backend that serves the encoding and accepts the model, and an error lists
 * every candidate tried and why it was passed over.
 */
import type { Backend, FormatProbe, GraphEncoding } from './backend.js';
import { encodingOf } from './sniff.js';
import { NnError } from './errors.js';

interface Entry {
  backend: Backend;
  priority: number;
  order: number;
}

export class BackendRegistry {
  private readonly entries = new Map<string, Entry>();
  private order = 0;

  /** Registers (or replaces) a backend. Higher priority wins among backends of one encoding. */
  register(backend: Backend, priority = 0): void {
    this.entries.set(backend.name, { backend, priority, order: this.order++ });
  }

  get(name: string): Backend | undefined {
    return this.entries.get(name)?.backend;
  }

  /** All backends, highest priority first. */
  list(): Backend[] {
    return [...this.entries.values()]
      .sort((a, b) => b.priority - a.priority || a.order - b.order)
      .map((e) => e.backend);
  }

  /**
   * Picks the backend for a model. `autodetect` takes the encoding the sniffers suggest (or asks
   * every backend); a named backend (`--model …,backend=x`) is used as it is.
   */
  async resolve(encoding: GraphEncoding, probe: FormatProbe, backendName?: string): Promise<{ backend: Backend; encoding: GraphEncoding }> {
    if (backendName) {
      const backend = this.get(backendName);
      if (!backend) {
        throw new NnError('not-found', `backend "${backendName}" is not bound; bound backends: ${this.names()}`);
      }
      return { backend, encoding: encoding === 'autodetect' ? (backend.encodings[0] ?? encoding) : encoding };
    }
    const wanted = encoding === 'autodetect' ? encodingOf(probe) : encoding;
    const candidates = this.list().filter((b) => !wanted || b.encodings.includes(wanted));
    const skipped: string[] = [];
    for (const backend of candidates) {
      if (!backend.detect || (await backend.detect(probe))) return { backend, encoding: wanted ?? backend.encodings[0] ?? encoding };
      skipped.push(backend.name);
    }
    // The guest named the encoding: let the general backend for it try, so that engine's own message
    // says what is wrong. Specialists outrank it with a priority above 0 (they serve what their
    // detect accepts); backends that take only some forms (folders, say) sit below 0.
    const general = candidates.find((b) => (this.entries.get(b.name)?.priority ?? 0) <= 0);
    if (encoding !== 'autodetect' && general) return { backend: general, encoding };
    const what = wanted ? `encoding "${wanted}"` : `this model (detected format: ${probe.format ?? 'unknown'})`;
    const tried = skipped.length ? `; ${skipped.join(', ')} did not recognise it` : '';
    const bound = this.entries.size ? `bound backends: ${this.names()}` : 'no backends are bound (use --bind)';
    throw new NnError('invalid-encoding', `no bound backend can load ${what}${tried}; ${bound}`);
  }

  /** Whether some bound backend would load the model the probe describes (for scanning a models folder). */
  async canLoad(probe: FormatProbe): Promise<boolean> {
    try {
      await this.resolve('autodetect', probe);
      return true;
    } catch {
      return false;
    }
  }

  private names(): string {
    return this.list()
      .map((b) => `${b.name} [${b.encodings.join(', ')}]`)
      .join(', ');
  }
}
