/**
 * The backend plugin interface: everything a wacs backend implements, in one file.
 *
 * Data flow: guest → ABI front end (component or preview1) → NnHost → BackendRegistry → Backend →
 * engine. A backend never sees ABI details (pointers, handles, errnos) and the front ends never
 * see engine details. Tensors arrive validated (see `validateTensor`); throw `NnError` with a
 * wasi:nn code for anything the guest should see as an error.
 *
 * A backend package exports a `Backend` as its default export (or a `backend` named export) and
 * declares itself in package.json with `"wacs": { "backend": "./dist/index.js" }` and the keyword
 * `wacs-backend`, so `wacs backends` and `wacs run` can discover it. See docs/backend-authoring.md.
 */
import type { OptionDescription } from './options/spec.js';
import type { NamedTensor } from './tensor.js';

/** The wasi:nn graph encodings, in WIT order, plus WasmEdge's `ggml` position being WIT's too. */
export const GRAPH_ENCODINGS = ['openvino', 'onnx', 'tensorflow', 'pytorch', 'tensorflowlite', 'ggml', 'autodetect'] as const;
export type GraphEncoding = (typeof GRAPH_ENCODINGS)[number];

/** Where the guest asked the model to run. `auto` lets the backend pick the best it detected. */
export type ExecutionTarget = 'cpu' | 'gpu' | 'tpu' | 'auto';

/** Options are plain JSON: from a named-model spec, a load-by-name config, or a `metadata` input. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Options = Record<string, JsonValue>;

/** What a backend gets to decide whether it can load something (see `Backend.detect`). */
export interface FormatProbe {
  /** The file or folder, when loading by name. */
  path?: string;
  isDirectory: boolean;
  /** Entry names when `path` is a folder. */
  entries?: string[];
  /** The first bytes of the file (or of the first graph builder); empty for folders. */
  head: Uint8Array;
  /**
   * What core's sniffers made of it: gguf, onnx, genai-folder, tfjs-model, pmml, xml, json, tar,
   * url (a server address: nothing was read) or unknown.
   */
  format?: string;
}

/** Where the model comes from. */
export type ModelSource =
  /** Bytes the guest passed to `load` (one entry per graph builder). */
  | { kind: 'bytes'; builders: Uint8Array[] }
  /** A host path from the named-model registry: a file, or a folder for folder formats. */
  | { kind: 'path'; path: string };

export interface LoadRequest {
  source: ModelSource;
  encoding: GraphEncoding;
  target: ExecutionTarget;
  /**
   * Graph options: the named-model spec's, with the guest's load-by-name config over them. Check
   * them with the backend's option set (`OptionSet.parseLoad`), which treats the two sources apart.
   */
  options: Options;
  /** The part of `options` the guest sent (load_by_name_with_config); the rest is the host user's. */
  guestOptions?: Options;
  /** The registered name, when loaded by name. */
  name?: string;
  /**
   * How many computes the host expects to run on this graph at once (`wacs serve`: its
   * `--instances`), for a backend that sizes shared state by it (llama: parallel sequences).
   */
  concurrency?: number;
}

/** One way a backend can run, e.g. "cuda", "vulkan", "cpu", "wasm-simd". */
export interface HardwareVariant {
  name: string;
  available: boolean;
  /** Whether this variant serves `auto` now. */
  active?: boolean;
  /** Why a variant is or is not available (the package missing, no device found, …). */
  detail?: string;
}

export interface Backend {
  /** Registry name, usually the package name without scope, e.g. "onnx". */
  readonly name: string;
  /** The encodings this backend serves; `autodetect` loads reach it through `detect`. */
  readonly encodings: readonly GraphEncoding[];
  /** The options it takes (an `OptionSet` from `defineOptions`), listed by `wacs backends --json`. */
  readonly options?: { describe(): OptionDescription[] };
  /**
   * Whether this backend can load what the probe describes. Used for `autodetect`, and to choose
   * between backends of one encoding (e.g. ONNX-ML models go to backend-classic).
   */
  detect?(probe: FormatProbe): boolean | Promise<boolean>;
  /** Load a model. Throw NnError: `invalid-encoding` for bytes you cannot parse, `not-found` for a missing path. */
  load(request: LoadRequest): Promise<Graph>;
  /**
   * Start the engine ahead of the first load: import it, initialize it, nothing per model. A host
   * calls it as a guest starts, for each backend a registered model goes to, so that the engine
   * starts while the guest does. Loads must work whether or not it was called; a failure here is
   * ignored (the load that needs the engine reports it).
   */
  startEngine?(): Promise<void>;
  /**
   * Optional, for twins whose engine starts only asynchronously (a WebAssembly engine): what a
   * guest's worker must start before the guest runs, so that `openInThread` can later open a twin
   * synchronously. A host asks once per registered model this backend loads, with the model's
   * options, and the worker imports each `module` and awaits its `prepareInThread(init)` export
   * (`PrepareInThread`) before it starts the guest. Return undefined where no twin will be offered.
   */
  inThreadPreparation?(options: Options): InThreadSpec | undefined;
  /** Hardware this backend detected; called lazily by `wacs backends`. */
  hardware?(): Promise<HardwareVariant[]>;
  /** Release engine-wide resources (called when the host shuts down). */
  dispose?(): Promise<void>;
}

/** A loaded model. One graph may serve many execution contexts, from many guests, at once. */
export interface Graph {
  /**
   * Create a context: one inference session's state. It takes no options: per-compute options
   * arrive in each compute's `metadata` input (check them with the backend's `OptionSet`).
   */
  createContext(): Promise<ExecutionContext> | ExecutionContext;
  /**
   * Called when the last guest handle and registry entry for the graph are gone. Make it
   * idempotent: a second call must do nothing (hosts other than wacs may call it again).
   */
  dispose(): Promise<void> | void;
  /**
   * Optional fast lane: how a guest's own worker thread can open a synchronous twin of this graph
   * and compute there, without a round trip to the host thread and with inputs read where they lie.
   * Both front ends use it (see docs/backend-authoring.md, "In-thread compute"). Return undefined
   * where it does not apply (a GPU session, a model too large to hold twice).
   */
  inThread?(): InThreadSpec | undefined;
}

/** Where a guest's worker finds a graph's synchronous twin, and the plain data to open it with. */
export interface InThreadSpec {
  /**
   * Absolute path of a module exporting `openInThread: OpenInThread`. The worker loads it with
   * `require` while the guest waits, so an ES module must have no top-level await.
   */
  module: string;
  /** Carried to the worker by the bridge, which takes JSON values and Uint8Arrays only (bridge/arena-message.ts). */
  init: unknown;
}

/**
 * Opens a graph's twin. Undefined means this thread cannot hold one for an expected reason (its
 * engine was not prepared here, see `Backend.inThreadPreparation`): the graph computes on the host
 * thread and nothing is reported. Throw for anything a person should hear about.
 */
export type OpenInThread = (init: unknown) => InThreadGraph | undefined;

/** Starts, in a guest's worker and before the guest runs, what a twin needs (see `Backend.inThreadPreparation`). */
export type PrepareInThread = (init: unknown) => Promise<void>;

/** A graph's twin in a guest's worker thread. Everything in it blocks the guest while it runs. */
export interface InThreadGraph {
  createContext(): InThreadContext;
  dispose(): void;
}

export interface InThreadContext {
  /**
   * `ExecutionContext.compute`, synchronously, with the same results and errors. Input data may be
   * views of guest memory: read them during the call, keep nothing.
   */
  compute(inputs: NamedTensor[]): NamedTensor[];
  dispose(): void;
}

/**
 * The state of one inference session (for LLMs: one sequence). `compute` gets the guest's named
 * inputs (preview1 guests name them "0", "1", … by index) and returns named outputs. An input named
 * `metadata` (or "1" for GGML) carries per-compute JSON options.
 */
export interface ExecutionContext {
  compute(inputs: NamedTensor[]): Promise<NamedTensor[]>;
  /**
   * Optional token streaming (WasmEdge's compute_single/get_output_single): returns an iterator
   * whose steps each yield the outputs of one token (output "0" is the token's text). Return
   * value of the iterator: the outputs a plain `compute` would have given.
   */
  stream?(inputs: NamedTensor[]): AsyncIterator<NamedTensor[], NamedTensor[]>;
  /**
   * Optional: the outputs a guest may read before computing with `inputs`, or after a compute
   * failed (WasmEdge's get_output). The llama backend gives the metadata with the prompt's token
   * count right after set_input, and the text generated before a full context stopped it.
   */
  peekOutputs?(inputs: NamedTensor[]): Promise<NamedTensor[]>;
  dispose(): Promise<void> | void;
}
