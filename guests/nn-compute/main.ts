// nn-compute: loads a model by name, computes on tensors given as arguments, prints every output.
//
//   nn-compute <model> [<input>=<TYPE>:<d0>x<d1>…:<v0>,<v1>,…]… [--repeat N [--warmup M]] [--fill <input>=<TYPE>:<dims>:<value>]
//
// <model> is a name registered with the host (load-by-name), or `-` to read the model bytes from
// stdin and `load` them (encoding: --encoding <name>, default autodetect).
// Output lines: `<name> <TYPE> [<dims>] <v0> <v1> …` (first 16 values), then `compute ok`.
// With --repeat N it runs N more computes (making the input tensors each time, as a real guest
// would) and prints the mean time per compute as `mean_us <µs>`; --warmup M runs M untimed computes
// before those (a runtime that compiles the guest in tiers reaches its steady speed only after a while).
import { args, describeError, load, loadByName, readStdin, tensor, values, Tensor, type GraphEncoding, type TensorType } from '../lib/nn.js';

/** Parses an input spec into a factory: compute takes ownership of its tensors, so each call needs new ones. */
function parseTensor(spec: string, fill: boolean): () => [string, Tensor] {
  const eq = spec.indexOf('=');
  const [type, dimsText, valueText] = spec.slice(eq + 1).split(':') as [TensorType, string, string];
  const dims = dimsText.split('x').map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const given = valueText.split(',').map(Number);
  const vals = fill ? new Array<number>(count).fill(given[0] ?? 0) : given;
  // The name, dimensions and element bytes are made once; each compute only hands them over (the ABI copies them).
  const bytes = tensor(type, dims, vals).data();
  const name = spec.slice(0, eq);
  const shape = new Uint32Array(dims);
  return () => [name, new Tensor(shape, type, bytes)];
}

const DISPOSE = Symbol.for('dispose');
const drop = (resource: object) => (resource as Record<symbol, (() => void) | undefined>)[DISPOSE]?.();

function format(name: string, t: Tensor): string {
  const v = Array.from(values(t) as ArrayLike<number | bigint>).slice(0, 16);
  return `${name} ${t.ty()} [${Array.from(t.dimensions()).join(',')}] ${v.map((x) => (typeof x === 'number' ? +x.toPrecision(7) : x)).join(' ')}`;
}

export const run = {
  run(): void {
    const argv = args();
    const model = argv.shift();
    if (!model) throw new Error('usage: nn-compute <model> [<input>=<TYPE>:<dims>:<values>]… [--repeat N]');
    let repeat = 1;
    let warmup = 0;
    let encoding: GraphEncoding = 'autodetect';
    const inputs: Array<() => [string, Tensor]> = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--repeat') repeat = Number(argv[++i]);
      else if (a === '--warmup') warmup = Number(argv[++i]);
      else if (a === '--encoding') encoding = argv[++i] as GraphEncoding;
      else if (a === '--fill') inputs.push(parseTensor(argv[++i]!, true));
      else inputs.push(parseTensor(a, false));
    }
    try {
      const graph = model === '-' ? load([readStdin()], encoding, 'cpu') : loadByName(model);
      const context = graph.initExecutionContext();
      // Indexed loops: StarlingMonkey interprets for-of and Array#map through the iterator protocol,
      // about 2 µs each per compute, which would be counted as the runtime's cost.
      const fresh = () => {
        const tensors: Array<[string, Tensor]> = [];
        for (let i = 0; i < inputs.length; i++) tensors.push(inputs[i]!());
        return tensors;
      };
      const dropAll = (outputs: Array<[string, Tensor]>) => {
        for (let i = 0; i < outputs.length; i++) drop(outputs[i]![1]);
      };
      let outputs = context.compute(fresh());
      if (repeat > 1) {
        for (let i = 0; i < warmup; i++) dropAll(context.compute(fresh()));
        const start = performance.now();
        for (let i = 0; i < repeat; i++) {
          dropAll(outputs);
          outputs = context.compute(fresh());
        }
        console.log(`mean_us ${(((performance.now() - start) * 1000) / repeat).toFixed(1)}`);
      }
      for (const [name, t] of outputs) console.log(format(name, t));
      console.log('compute ok');
    } catch (e) {
      console.error(describeError(e));
      throw e;
    }
  },
};
