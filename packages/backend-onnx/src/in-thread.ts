/**
 * A graph's twin in a preview1 guest's worker thread (core's `Graph.inThread`): its own
 * onnxruntime session, run synchronously while the guest waits in `compute`. No round trip to the
 * host thread, and inputs go to onnxruntime as views of the guest's bytes. The compute logic is
 * the host graph's own (`OnnxModel`), so results and errors are the same on both paths.
 *
 * onnxruntime-node's public `run` is asynchronous (it waits a turn of the event loop, which a
 * blocked guest's thread never gets), so this drives its native binding, whose `run` is
 * synchronous. The worker loads this module with `require`, so it has no top-level await.
 */
import { NnError, type InThreadContext, type InThreadGraph, type NamedTensor } from '@wacs/core/backend';
import { nativeEngine, originSessionOptions, type ModelOrigin, type NativeSession, type OrtModule as Ort, type OrtTensor, type SessionSettings } from '@wacs/onnxruntime';
import { OnnxModel, runError, SessionVariants, type InThreadInit, type IoInfo } from './graph.js';

function openNative(origin: ModelOrigin, settings: SessionSettings, providers: string[]): NativeSession {
  const session = new (nativeEngine().Session)();
  const options = { ...originSessionOptions(origin, settings), executionProviders: settings.providers ?? providers };
  try {
    if (origin.kind === 'path') session.loadModel(origin.path, options);
    else session.loadModel(origin.bytes.buffer, origin.bytes.byteOffset, origin.bytes.byteLength, options);
  } catch (e) {
    throw new NnError('runtime-error', `onnxruntime could not load the model in the guest's thread: ${(e as Error).message}`, undefined, { cause: e });
  }
  return session;
}

class OnnxInThreadGraph extends OnnxModel implements InThreadGraph {
  readonly ort: Ort;
  readonly session: NativeSession;
  private readonly variants: SessionVariants<NativeSession>;
  private disposed = false;

  constructor(init: InThreadInit) {
    super(init.inputs, init.outputs, init.options);
    this.ort = nativeEngine().ort;
    this.session = openNative(init.origin, init.settings, init.providers);
    this.variants = new SessionVariants(init.options, (settings) => openNative(init.origin, settings, init.providers));
  }

  sessionFor(settings: SessionSettings | undefined): NativeSession {
    return settings ? this.variants.get(settings) : this.session;
  }

  private readonly fetchesFor = new WeakMap<IoInfo[], Record<string, null>>();

  /** The native run's `fetches` argument, made once per output selection. */
  private fetches(outputs: IoInfo[]): Record<string, null> {
    let fetches = this.fetchesFor.get(outputs);
    if (!fetches) this.fetchesFor.set(outputs, (fetches = Object.fromEntries(outputs.map((o) => [o.sessionName, null]))));
    return fetches;
  }

  createContext(): InThreadContext {
    return {
      compute: (inputs: NamedTensor[]): NamedTensor[] => {
        const plan = this.plan(this.ort, inputs);
        const session = this.sessionFor(plan.settings);
        let results: Record<string, OrtTensor>;
        try {
          results = session.run(plan.feeds, this.fetches(plan.outputs), {});
        } catch (e) {
          throw runError(e);
        }
        return this.results(plan, results);
      },
      dispose: () => {},
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const variant of this.variants.drain()) variant.dispose();
    this.session.dispose();
  }
}

export function openInThread(init: unknown): InThreadGraph {
  return new OnnxInThreadGraph(init as InThreadInit);
}
