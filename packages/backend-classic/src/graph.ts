/** A PMML or ml.js model as a wasi:nn graph: evaluated in JavaScript, every compute one synchronous batch. */
import { modelLoadError, NnError, type ExecutionContext, type Graph, type NamedTensor } from '@wacs/core/backend';
import { predictionTensors, readInputs, type ContractInputs, type Prediction } from './contract.js';

/** A model evaluated in JavaScript: every compute is one synchronous batch. */
export class JsGraph implements Graph {
  constructor(private readonly predict: (inputs: ContractInputs) => Prediction) {}

  createContext(): ExecutionContext {
    return {
      compute: async (inputs: NamedTensor[]) => {
        const given = readInputs(inputs);
        if (given.other.length) {
          throw new NnError('invalid-argument', `unknown input(s) ${given.other.map((o) => `"${o.name}"`).join(', ')}; this model takes "features" (or "0") and "metadata" (or a U8 "1")`);
        }
        try {
          return predictionTensors(this.predict(given));
        } catch (e) {
          // A model that loaded but cannot be evaluated (e.g. an ml.js forest whose trees name
          // features it does not have) is malformed; its engine's own error is no guide for a guest.
          throw modelLoadError(e, 'the model could not be evaluated', 'runtime-error');
        }
      },
      dispose: () => {},
    };
  }

  dispose(): void {}
}
