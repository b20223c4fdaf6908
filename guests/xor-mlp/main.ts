// xor-mlp: loads an MLP by name, feeds it the four XOR input rows as one [4,2] FP32 batch and prints
// the truth table it computes (the model's P(a XOR b = 1), rounded), checked against a ^ b.
//
//   xor-mlp [<model name>]        (default: xor)
import { args, describeError, loadByName, tensor, values } from '../lib/nn.js';

const ROWS = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
] as const;

export const run = {
  run(): void {
    const model = args()[0] ?? 'xor';
    try {
      const context = loadByName(model).initExecutionContext();
      // Input "0": the model's first input, by position.
      const outputs = context.compute([['0', tensor('FP32', [ROWS.length, 2], ROWS.flat())]]);
      const [name, output] = outputs[0]!;
      const probabilities = values(output) as Float32Array;
      console.log(`XOR truth table computed by model "${model}" (output "${name}"):`);
      console.log('a b | a XOR b | P(1)');
      let wrong = 0;
      ROWS.forEach(([a, b], i) => {
        const p = probabilities[i]!;
        const bit = p >= 0.5 ? 1 : 0;
        if (bit !== (a ^ b)) wrong++;
        console.log(`${a} ${b} |    ${bit}    | ${p.toFixed(4)}`);
      });
      console.log(wrong === 0 ? 'the model computes XOR on all 4 rows' : `the model is wrong on ${wrong} of 4 rows`);
    } catch (e) {
      console.error(describeError(e));
      throw e;
    }
  },
};
