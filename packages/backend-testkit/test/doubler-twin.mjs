// The doubler's in-thread twin (Graph.inThread): y = factor · x, synchronously, with the same
// input rules as the doubler's contexts. `init.factor` comes from the graph. Like an engine that
// starts asynchronously, it opens only in a thread where prepareInThread has run.
import { NnError, tensorFrom, tensorView } from '@wacs/core/backend';

let engine;

export async function prepareInThread(init) {
  engine = await Promise.resolve(init.engine);
}

export function openInThread(init) {
  if (engine !== 'doubling') return undefined;
  const { factor } = init;
  return {
    createContext: () => ({
      compute(inputs) {
        const known = inputs.filter((i) => i.name === 'x' || i.name === '0');
        if (known.length !== inputs.length) throw new NnError('invalid-argument', 'the doubler reads only "x" (index 0)');
        if (known.length !== 1) throw new NnError('invalid-argument', 'give exactly one input "x" (FP32)');
        const { tensor } = known[0];
        if (tensor.type !== 'FP32') throw new NnError('invalid-argument', `input "x" must be FP32, got ${tensor.type}`);
        return [{ name: 'y', tensor: tensorFrom('FP32', [...tensor.dimensions], tensorView(tensor).map((v) => v * factor)) }];
      },
      dispose() {},
    }),
    dispose() {},
  };
}
