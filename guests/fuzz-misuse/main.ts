// fuzz-misuse: a component guest that runs a script of wasi:nn steps, bad ones and good ones, and
// keeps going after each failure; for the hardening tests (bad input, concurrency, host memory).
//
//   fuzz-misuse <step>…
//
// Steps (each prints one line: `<step>: ok …` or `<step>: error <code>: <message>`):
//   name:<model>                     load by name (pushes a graph)
//   load:<encoding>:<path>           load the bytes of a file under a preopened dir (pushes a graph)
//   bytes:<encoding>:<text>          load the UTF-8 bytes of <text> (pushes a graph)
//   ctx                              init an execution context on the last graph (pushes a context)
//   in:<name>=<TYPE>:<dims>:<values> queue an input for the next compute; <values> is a comma list,
//                                    `fill=<v>` (as many as the dims need) or `bytes=<n>` (n zero bytes)
//   compute                          compute on the last context with the queued inputs; prints the outputs
//   series:<name>:<n>:<base>         n computes on the last context, input <name> = FP32 [1,3]
//                                    [base+i, base-2i, i/4] for i < n; prints `y <i> <values>` each
//   drop-ctx | drop-graph            dispose the last context / graph (the handle is popped)
//   hoard:<count>:<MiB>              make <count> tensors of <MiB> each and keep them all
//   out:<path>                       also write every line to <path> (under a preopened dir) at the end
//   quiet                            print nothing to stdout from here on (lines still go to out:)
//   fail                             end the run now with a failure (wasi:cli/exit with err: exit code 1)
import { exit } from 'wasi:cli/exit@0.2.3';
import { FileWriter, readFile } from '../lib/files.js';
import { args, describeError, load, loadByName, Tensor, values, type Graph, type GraphEncoding, type GraphExecutionContext, type TensorType } from '../lib/nn.js';

const lines: string[] = [];
let quiet = false;
function print(line: string): void {
  lines.push(line);
  if (!quiet) console.log(line);
}

const SIZES: Record<TensorType, number> = { FP16: 2, BF16: 2, FP32: 4, FP64: 8, U8: 1, I32: 4, I64: 8 };

/** `<name>=<TYPE>:<dims>:<values>` as a tensor, built byte by byte so any mismatch reaches the host as given. */
function parseInput(spec: string): [string, Tensor] {
  const eq = spec.indexOf('=');
  const [type, dimsText, valuesText = ''] = spec.slice(eq + 1).split(':') as [TensorType, string, string?];
  const dims = dimsText.split('x').map(Number);
  const size = SIZES[type] ?? 1;
  let data: Uint8Array;
  if (valuesText.startsWith('bytes=')) data = new Uint8Array(Number(valuesText.slice(6)));
  else {
    const given = valuesText.startsWith('fill=') ? [] : valuesText.split(',').filter((v) => v !== '').map(Number);
    const count = valuesText.startsWith('fill=') ? dims.reduce((a, b) => a * b, 1) : given.length;
    const fill = Number(valuesText.slice(5));
    data = new Uint8Array(count * size);
    const view = new DataView(data.buffer);
    for (let i = 0; i < count; i++) {
      const v = valuesText.startsWith('fill=') ? fill : given[i]!;
      if (type === 'FP32') view.setFloat32(i * 4, v, true);
      else if (type === 'FP64') view.setFloat64(i * 8, v, true);
      else if (type === 'I32') view.setInt32(i * 4, v, true);
      else if (type === 'I64') view.setBigInt64(i * 8, BigInt(v), true);
      else if (type === 'U8') view.setUint8(i, v);
      else view.setUint16(i * 2, v, true);
    }
  }
  return [spec.slice(0, eq), new Tensor(new Uint32Array(dims), type, data)];
}

function format(t: Tensor): string {
  const v = Array.from(values(t) as ArrayLike<number | bigint>);
  return `${t.ty()} [${Array.from(t.dimensions()).join(',')}] ${v.map(String).join(',')}`;
}

export const run = {
  run(): void {
    const graphs: Graph[] = [];
    const contexts: GraphExecutionContext[] = [];
    const kept: Tensor[] = [];
    let queued: Array<[string, Tensor]> = [];
    let outPath: string | undefined;
    const last = <T>(list: T[], what: string): T => {
      const item = list[list.length - 1];
      if (!item) throw new Error(`no ${what} yet`);
      return item;
    };
    for (const step of args()) {
      const [command = '', ...rest] = step.split(':');
      const arg = rest.join(':');
      try {
        switch (command) {
          case 'name':
            graphs.push(loadByName(arg));
            print(`${step}: ok`);
            break;
          case 'load':
          case 'bytes': {
            const [encoding, ...source] = arg.split(':');
            const bytes = command === 'load' ? readFile(source.join(':')) : new TextEncoder().encode(source.join(':'));
            graphs.push(load([bytes], encoding as GraphEncoding, 'cpu'));
            print(`${step}: ok`);
            break;
          }
          case 'ctx':
            contexts.push(last(graphs, 'graph').initExecutionContext());
            print(`${step}: ok`);
            break;
          case 'in':
            queued.push(parseInput(arg));
            print(`${step}: queued`);
            break;
          case 'compute': {
            const inputs = queued;
            queued = [];
            const outputs = last(contexts, 'context').compute(inputs);
            print(`${step}: ok ${outputs.map(([name, t]) => `${name} ${format(t)}`).join(' | ')}`);
            break;
          }
          case 'series': {
            const [name = 'x', count = '1', base = '0'] = arg.split(':');
            const context = last(contexts, 'context');
            for (let i = 0; i < Number(count); i++) {
              const x = new Float32Array([Number(base) + i, Number(base) - 2 * i, i / 4]);
              const [[, y]] = context.compute([[name, new Tensor(new Uint32Array([1, 3]), 'FP32', new Uint8Array(x.buffer))]]) as [[string, Tensor]];
              print(`y ${i} ${Array.from(values(y) as Float32Array).join(',')}`);
            }
            break;
          }
          case 'drop-ctx':
            (contexts.pop() as unknown as Disposable | undefined)?.[Symbol.dispose]();
            print(`${step}: ok`);
            break;
          case 'drop-graph':
            (graphs.pop() as unknown as Disposable | undefined)?.[Symbol.dispose]();
            print(`${step}: ok`);
            break;
          case 'hoard': {
            const [count = '0', mib = '1'] = arg.split(':');
            const block = new Uint8Array(Number(mib) << 20).fill(1);
            for (let i = 0; i < Number(count); i++) kept.push(new Tensor(new Uint32Array([block.length]), 'U8', block));
            print(`${step}: kept ${kept.length} tensors, ${kept.length * Number(mib)} MiB`);
            break;
          }
          case 'out':
            outPath = arg;
            break;
          case 'quiet':
            quiet = true;
            break;
          case 'fail':
            if (outPath) new FileWriter(outPath).write(`${lines.join('\n')}\n`);
            exit({ tag: 'err', val: undefined });
            break;
          default:
            print(`${step}: unknown step`);
        }
      } catch (e) {
        print(`${step}: error ${describeError(e).replace(/^wasi-nn error /, '')}`);
      }
    }
    if (outPath) new FileWriter(outPath).write(`${lines.join('\n')}\n`);
  },
};
