/**
 * The witx front end for preview1 core-module guests: the `wasi_ephemeral_nn` import module, with
 * WasmEdge's extensions (load_by_name[_with_config], compute_single/get_output_single/fini_single,
 * unload, finalize_execution_context), running in the guest's worker.
 *
 * It is a thin translator onto the same bridge ops as the component front end: every function
 * reads its arguments out of guest memory (each pointer and length checked against the memory's
 * current size), makes at most one bridge round trip, writes results through the guest's
 * out-pointers and returns an errno. Nothing a guest passes can throw into the host: bad pointers
 * and unknown handles are `invalid_argument`. Inputs stay in the worker until compute (named "0",
 * "1", … by index), and outputs stay in the worker for get_output.
 *
 * Where a graph's backend offers it (`Graph.inThread`), computes run right here in the worker on a
 * synchronous twin of the graph: no round trip, and inputs copied once into buffers reused from one
 * compute to the next, or, with `borrowInputs`, not copied at all.
 */
import type { Options } from '../../backend.js';
import { BRIDGE_ARENA_BYTES, type BridgeClient } from '../../bridge/channel.js';
import { STREAM_BATCH, unpackSteps } from '../../bridge/stream-wire.js';
import { NnError } from '../../errors.js';
import { validateTensor, type NamedTensor } from '../../tensor.js';
import { InThreadTwins, type InThreadOpener } from '../in-thread.js';
import { streamOutputs, type ContextState, type HeldInput } from './context-state.js';
import { witxErrno, WITX_ERRNO } from './errno.js';
import { GuestMemory } from './guest-memory.js';
import { BUILDER_BYTES, TENSOR_RECORD_BYTES, WITX_ENCODINGS, WITX_MODULE, WITX_TARGETS, WITX_TENSOR_TYPES, type WitxFunctionName } from './witx.js';

/** Rank and size limits belong to the host (checked at compute); set_input checks only the shape. */
const SHAPE_ONLY = { maxBytes: Number.MAX_SAFE_INTEGER, maxRank: Number.MAX_SAFE_INTEGER };

export interface Preview1Options {
  /** Where error messages go for the person running the guest (the guest itself only gets an errno). */
  log: (line: string) => void;
  /**
   * The most input bytes the front end may hold for the guest (the --max-memory cap). Inputs are
   * copies outside the guest's linear memory: without a bound, a guest could park any amount of
   * host memory under input indices it never computes with.
   */
  maxHeldBytes?: number;
  /** Opens a graph's in-thread twin (see `Graph.inThread`); without it every compute goes to the host. */
  openInThread?: InThreadOpener;
  /**
   * For in-thread computes: set_input records where the tensor lies and compute reads it there,
   * with no copy. The guest must leave those bytes alone until compute; a guest that does not only
   * gets wrong results of its own.
   */
  borrowInputs?: boolean;
}

type WitxFunction = (...args: number[]) => number;

/**
 * The `wasi_ephemeral_nn` import object. `memory` returns the guest's exported memory (known only
 * after instantiation).
 */
export function preview1NnImports(bridge: BridgeClient, memory: () => WebAssembly.Memory | undefined, options: Preview1Options): Record<WitxFunctionName, WitxFunction> {
  const graphs = new Set<number>();
  const contexts = new Map<number, ContextState>();
  const twins = new InThreadTwins(bridge, options.openInThread, options.log);
  /** Bytes of all inputs held, across contexts (see `maxHeldBytes`). */
  let heldBytes = 0;

  function context(handle: number): ContextState {
    const state = contexts.get(handle);
    if (!state) throw new NnError('invalid-argument', `unknown execution context handle ${handle}`);
    return state;
  }

  function graph(handle: number): number {
    if (!graphs.has(handle)) throw new NnError('invalid-argument', `unknown graph handle ${handle}`);
    return handle;
  }

  /** Access to memory as it is now: a new one only once memory grew (its buffer then changes). */
  let access: GuestMemory | undefined;

  /** Wraps one witx function: unsigned arguments, fresh memory access, and every failure an errno. */
  function witx(name: WitxFunctionName, body: (mem: GuestMemory, ...args: number[]) => void): WitxFunction {
    return (...args: number[]) => {
      const current = memory();
      if (!current) return WITX_ERRNO.missing_memory;
      try {
        if (access?.buffer !== current.buffer) access = new GuestMemory(current.buffer);
        for (let i = 0; i < args.length; i++) args[i]! >>>= 0;
        body(access, ...args);
        return WITX_ERRNO.success;
      } catch (e) {
        const error = e instanceof NnError ? e : new NnError('runtime-error', e instanceof Error ? e.message : String(e));
        // End of sequence is how a stream ends, not a failure; a missing model the host reports itself.
        const missingModel = error.code === 'not-found' && name.startsWith('load_by_name');
        if (error.reason !== 'end-of-sequence' && !missingModel) {
          options.log(`wacs: ${WITX_MODULE}.${name}: ${error.message}`);
        }
        return witxErrno(error);
      }
    };
  }

  /** Writes an output into the guest's buffer; too_large (with the size needed in `writtenPtr`) if it does not fit. */
  function writeOutput(mem: GuestMemory, outputs: NamedTensor[] | undefined, index: number, bufPtr: number, bufMax: number, writtenPtr: number, hint: string): void {
    mem.check(bufPtr, bufMax, 'output buffer');
    mem.check(writtenPtr, 4, 'bytes-written pointer');
    if (!outputs) throw new NnError('invalid-argument', `no outputs yet: ${hint}`);
    const output = outputs[index];
    if (!output) throw new NnError('invalid-argument', `output index ${index} is out of range (the model gave ${outputs.length} outputs)`);
    const data = output.tensor.data;
    mem.setU32(writtenPtr, data.byteLength, 'bytes-written pointer');
    if (data.byteLength > bufMax) {
      throw new NnError('too-large', `output ${index} is ${data.byteLength} bytes but the guest's buffer holds ${bufMax}`);
    }
    mem.write(bufPtr, data);
  }

  function loadByName(mem: GuestMemory, namePtr: number, nameLen: number, config: Options | undefined, graphOut: number): void {
    const name = mem.text(namePtr, nameLen, 'model name');
    mem.check(graphOut, 4, 'graph out-pointer');
    const handle = bridge.call('loadByName', config ? [name, config] : [name]);
    graphs.add(handle);
    mem.setU32(graphOut, handle, 'graph out-pointer');
  }

  /**
   * The context's inputs in index order, named "0", "1", …; borrowed ones read from guest memory
   * now, as views (in-thread computes) or as copies (for the host thread, which cannot see it).
   */
  function namedInputs(state: ContextState, mem?: GuestMemory, borrowed: 'view' | 'copy' = 'view'): NamedTensor[] {
    return [...state.inputs.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, input]) => {
        if (input.borrowedAt === undefined) return { name: String(index), tensor: input };
        const read = borrowed === 'view' ? mem!.borrow.bind(mem) : mem!.copy.bind(mem);
        return { name: String(index), tensor: { ...input, data: read(input.borrowedAt, input.data.byteLength, `input ${index} data`) } };
      });
  }

  /** Ends a running stream on the host (fini_single, or a new prompt). */
  function endStream(handle: number, state: ContextState): void {
    const stream = state.stream;
    if (!stream) return;
    state.stream = undefined;
    state.outputs = undefined; // the stream's outputs go with it (the last compute's are stale by now)
    if (stream.live) bridge.call('streamEnd', [handle]);
  }

  return {
    load: witx('load', (mem, buildersPtr, buildersLen, encoding, target, graphOut) => {
      mem.check(buildersPtr, buildersLen * BUILDER_BYTES, 'graph builder array');
      mem.check(graphOut, 4, 'graph out-pointer');
      const witxEncoding = WITX_ENCODINGS[encoding];
      if (!witxEncoding) throw new NnError('invalid-encoding', `unknown graph encoding ${encoding} (0-${WITX_ENCODINGS.length - 1})`);
      const witxTarget = WITX_TARGETS[target];
      if (!witxTarget) throw new NnError('invalid-argument', `unknown execution target ${target} (0-${WITX_TARGETS.length - 1})`);
      const builders: Uint8Array[] = [];
      for (let i = 0; i < buildersLen; i++) {
        const at = buildersPtr + i * BUILDER_BYTES;
        builders.push(mem.copy(mem.u32(at, 'graph builder'), mem.u32(at + 4, 'graph builder'), `graph builder ${i}`));
      }
      // The copies are ours alone, so they move to the host thread without another copy.
      const handle = bridge.call('load', [builders, witxEncoding, witxTarget]);
      graphs.add(handle);
      mem.setU32(graphOut, handle, 'graph out-pointer');
    }),

    load_by_name: witx('load_by_name', (mem, namePtr, nameLen, graphOut) => loadByName(mem, namePtr, nameLen, undefined, graphOut)),

    load_by_name_with_config: witx('load_by_name_with_config', (mem, namePtr, nameLen, configPtr, configLen, graphOut) => {
      let config: Options | undefined;
      const text = mem.text(configPtr, configLen, 'config');
      if (text.trim()) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (e) {
          throw new NnError('invalid-encoding', `the config is not valid JSON: ${(e as Error).message}`);
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new NnError('invalid-argument', 'the config must be a JSON object');
        config = value as Options;
      }
      loadByName(mem, namePtr, nameLen, config, graphOut);
    }),

    init_execution_context: witx('init_execution_context', (mem, graphHandle, contextOut) => {
      mem.check(contextOut, 4, 'context out-pointer');
      const handle = bridge.call('initContext', [graph(graphHandle)]);
      contexts.set(handle, { inputs: new Map(), local: twins.context(graphHandle, handle) });
      mem.setU32(contextOut, handle, 'context out-pointer');
    }),

    set_input: witx('set_input', (mem, contextHandle, index, tensorPtr) => {
      const state = context(contextHandle);
      mem.check(tensorPtr, TENSOR_RECORD_BYTES, 'tensor');
      const dimsPtr = mem.u32(tensorPtr, 'tensor');
      const dimsLen = mem.u32(tensorPtr + 4, 'tensor');
      const typeCode = mem.u8(tensorPtr + 8, 'tensor');
      const dataPtr = mem.u32(tensorPtr + 12, 'tensor');
      const dataLen = mem.u32(tensorPtr + 16, 'tensor');
      const type = WITX_TENSOR_TYPES[typeCode];
      if (!type) throw new NnError('invalid-argument', `input ${index}: unknown tensor type ${typeCode} (0-${WITX_TENSOR_TYPES.length - 1})`);
      mem.check(dimsPtr, dimsLen * 4, `input ${index} dimensions`);
      let dimensions = Array.from({ length: dimsLen }, (_, i) => mem.u32(dimsPtr + i * 4, `input ${index} dimensions`));
      mem.check(dataPtr, dataLen, `input ${index} data`);
      const previous = state.inputs.get(index);
      const borrow = options.borrowInputs === true && state.local !== undefined;
      const copied = (input: HeldInput | undefined) => (input && input.borrowedAt === undefined ? input.data.byteLength : 0);
      const held = heldBytes - copied(previous) + (borrow ? 0 : dataLen);
      if (options.maxHeldBytes !== undefined && held > options.maxHeldBytes) {
        throw new NnError(
          'too-large',
          `input ${index}: the inputs set would take ${held} bytes of host memory, over the --max-memory limit of ${options.maxHeldBytes / 2 ** 20} MiB`,
        );
      }
      const bytes = mem.borrow(dataPtr, dataLen, `input ${index} data`);
      // WasmEdge guests pass text (a prompt, JSON metadata) as U8 with dimensions [1] whatever its length.
      if (type === 'U8' && dimsLen === 1 && dimensions[0] === 1) dimensions = [dataLen];
      // Checked before anything is kept: a refused input leaves the one set before intact.
      validateTensor({ dimensions, type, data: bytes }, String(index), SHAPE_ONLY);
      let tensor: HeldInput;
      if (borrow) tensor = { dimensions, type, data: bytes, borrowedAt: dataPtr };
      else if (state.local && previous && previous.borrowedAt === undefined && previous.data.byteLength === dataLen) {
        // In-thread computes only lend inputs to the engine, so the last buffer can take the new bytes.
        previous.data.set(bytes);
        tensor = { dimensions, type, data: previous.data };
      } else if (!state.local && dataLen > BRIDGE_ARENA_BYTES) {
        // A large input the host will hand back after compute: copied into recycled memory.
        const data = bridge.buffers.take(dataLen);
        data.set(bytes);
        tensor = { dimensions, type, data };
      } else tensor = { dimensions, type, data: bytes.slice() };
      // A new input starts a new computation: a stream in progress ends (as in WasmEdge).
      endStream(contextHandle, state);
      state.inputs.set(index, tensor);
      state.stale = true;
      heldBytes = held;
    }),

    compute: witx('compute', (mem, contextHandle) => {
      const state = context(contextHandle);
      endStream(contextHandle, state);
      state.outputs = undefined;
      state.stale = true; // until it succeeds: a failed compute may leave outputs to read (a full context's text)
      if (!state.local) {
        state.outputs = bridge.call('compute', [contextHandle, namedInputs(state)]);
      } else state.outputs = state.local.compute(namedInputs(state, mem));
      state.stale = false;
    }),

    get_output: witx('get_output', (mem, contextHandle, index, bufPtr, bufMax, writtenPtr) => {
      const state = context(contextHandle);
      if (!state.stream && state.stale && !state.local) {
        // As in WasmEdge: right after set_input, output 1 already counts the prompt's tokens.
        const peeked = bridge.call('peekOutputs', [contextHandle, namedInputs(state, mem, 'copy')]);
        if (peeked) state.outputs = peeked;
        state.stale = false;
      }
      const outputs = state.stream ? streamOutputs(state.stream) : state.outputs;
      writeOutput(mem, outputs, index, bufPtr, bufMax, writtenPtr, 'call compute first');
    }),

    compute_single: witx('compute_single', (mem, contextHandle) => {
      const state = context(contextHandle);
      // The first call carries the inputs and starts the stream. A round trip brings every step the
      // backend has ready, so later calls often need none.
      const starting = !state.stream?.live;
      if (starting) state.stream = { text: [], ready: [], live: true };
      const stream = state.stream!;
      if (stream.ready.length === 0) {
        try {
          const inputs = starting ? namedInputs(state, mem, 'copy') : [];
          stream.ready = unpackSteps(bridge.call('streamSteps', [contextHandle, inputs, STREAM_BATCH]));
        } catch (e) {
          stream.live = false; // the host dropped the failed stream; what it streamed stays readable
          throw e;
        }
      }
      const token = stream.ready.shift()!;
      if (!token) throw new NnError('runtime-error', 'end of sequence', 'end-of-sequence');
      stream.token = token;
      const text = token[0]?.tensor.data;
      if (text) stream.text.push(text);
    }),

    get_output_single: witx('get_output_single', (mem, contextHandle, index, bufPtr, bufMax, writtenPtr) => {
      const state = context(contextHandle);
      writeOutput(mem, state.stream?.token, index, bufPtr, bufMax, writtenPtr, 'call compute_single first');
    }),

    fini_single: witx('fini_single', (_mem, contextHandle) => {
      endStream(contextHandle, context(contextHandle));
    }),

    unload: witx('unload', (_mem, graphHandle) => {
      bridge.call('dropGraph', [graph(graphHandle)]);
      graphs.delete(graphHandle);
      twins.unload(graphHandle);
    }),

    finalize_execution_context: witx('finalize_execution_context', (_mem, contextHandle) => {
      const state = context(contextHandle);
      for (const input of state.inputs.values()) if (input.borrowedAt === undefined) heldBytes -= input.data.byteLength;
      contexts.delete(contextHandle);
      state.local?.dispose();
      bridge.call('dropContext', [contextHandle]);
    }),
  };
}
