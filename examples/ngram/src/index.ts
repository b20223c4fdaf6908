/**
 * wacs-backend-ngram: an example third-party wacs backend, written from docs/backend-authoring.md.
 * It serves word bigram models (see model.ts) to guests through wasi:nn.
 *
 * Tensor contract:
 *   inputs   "prompt" (index "0"): U8, UTF-8 text; its last word is where generation starts.
 *            "metadata" (index "1"), optional: U8 JSON object, {"n_predict": <1..1024>}.
 *   outputs  0 "text":   U8, UTF-8, the generated words, each with a leading space.
 *            1 "counts": I32 [n], how often the corpus has each chosen transition.
 * Graph option: n_predict (default 8). stream() yields one word per step.
 */
import {
  defineOptions,
  metadataObject,
  NnError,
  readInputs,
  tensorFrom,
  tensorText,
  TEXT_INPUTS,
  textTensor,
  type Backend,
  type ExecutionContext,
  type FormatProbe,
  type Graph,
  type HardwareVariant,
  type LoadRequest,
  type NamedTensor,
  type OptionValues,
} from '@wacs/core/backend';
import { readFile } from 'node:fs/promises';
import { BigramTable, MAGIC, words, type Step } from './model.js';

export { BigramTable, MAGIC, words, type Step } from './model.js';

const MAX_N_PREDICT = 1024;

/** The options, declared with core's option kit: it checks every source the same way. */
export const ngramOptions = defineOptions('ngram', {
  n_predict: { type: 'integer', when: 'compute', min: 1, max: MAX_N_PREDICT, default: 8, doc: 'words to generate' },
});

interface Settings {
  nPredict: number;
}

function settings(values: OptionValues<typeof ngramOptions.specs>, base: Settings): Settings {
  return { nPredict: values.n_predict ?? base.nPredict };
}

function hasMagic(head: Uint8Array): boolean {
  return new TextDecoder().decode(head.subarray(0, MAGIC.length)) === MAGIC;
}

async function modelBytes(request: LoadRequest): Promise<Uint8Array> {
  if (request.source.kind === 'bytes') {
    const { builders } = request.source;
    if (builders.length !== 1) throw new NnError('invalid-argument', `an ngram model is one graph builder, got ${builders.length}`);
    return builders[0]!;
  }
  try {
    return new Uint8Array(await readFile(request.source.path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NnError('not-found', `ngram model not found: ${request.source.path}`);
    throw new NnError('runtime-error', `cannot read the ngram model ${request.source.path}: ${code ?? (e as Error).message}`);
  }
}

interface Request {
  prompt: string;
  settings: Settings;
}

function outputs(steps: Step[]): NamedTensor[] {
  return [
    { name: 'text', tensor: textTensor(steps.map((s) => ` ${s.word}`).join('')) },
    { name: 'counts', tensor: tensorFrom('I32', [steps.length], Int32Array.from(steps, (s) => s.count)) },
  ];
}

class NgramGraph implements Graph {
  constructor(
    readonly table: BigramTable,
    readonly settings: Settings,
  ) {}

  createContext(): ExecutionContext {
    return new NgramContext(this);
  }

  dispose(): void {}
}

class NgramContext implements ExecutionContext {
  constructor(private readonly graph: NgramGraph) {}

  private request(inputs: NamedTensor[]): Request {
    const { roles } = readInputs(inputs, TEXT_INPUTS, { backend: 'ngram' });
    if (!roles.prompt) throw new NnError('invalid-argument', 'no prompt: pass the text as a U8 tensor named "prompt" (index 0)');
    const metadata = roles.metadata ? ngramOptions.parse(metadataObject(roles.metadata), 'metadata').values : {};
    return { prompt: tensorText(roles.prompt), settings: settings(metadata, this.graph.settings) };
  }

  private steps({ prompt, settings }: Request): Generator<Step> {
    const last = words(prompt).at(-1);
    if (last === undefined) throw new NnError('invalid-argument', 'the prompt has no words to continue');
    return this.graph.table.continue(last, settings.nPredict);
  }

  async compute(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    return outputs([...this.steps(this.request(inputs))]);
  }

  stream(inputs: NamedTensor[]): AsyncIterator<NamedTensor[], NamedTensor[]> {
    // Checked now, so bad inputs fail at the first step like a compute would.
    let steps: Generator<Step> | undefined;
    let failure: unknown;
    try {
      steps = this.steps(this.request(inputs));
    } catch (e) {
      failure = e;
    }
    const done: Step[] = [];
    return {
      next: async () => {
        if (failure !== undefined) throw failure;
        const step = steps!.next();
        if (step.done) return { done: true, value: outputs(done) };
        done.push(step.value);
        return { done: false, value: outputs([step.value]) };
      },
      return: async () => {
        steps?.return(undefined);
        return { done: true, value: outputs(done) };
      },
    };
  }

  dispose(): void {}
}

export const ngramBackend: Backend = {
  name: 'ngram',
  encodings: ['autodetect'],
  options: ngramOptions,
  detect(probe: FormatProbe): boolean {
    return !probe.isDirectory && hasMagic(probe.head);
  },
  async load(request: LoadRequest): Promise<Graph> {
    const graphSettings = settings(ngramOptions.parseLoad(request).values, { nPredict: ngramOptions.specs.n_predict.default });
    if (request.target === 'gpu' || request.target === 'tpu') {
      throw new NnError('unsupported-operation', `the ngram backend runs in JavaScript on the CPU; load with target cpu or auto, not ${request.target}`);
    }
    const bytes = await modelBytes(request);
    if (!hasMagic(bytes)) throw new NnError('invalid-encoding', `not an ngram model: the first line must be ${JSON.stringify(MAGIC.trim())}`);
    let corpus: string;
    try {
      corpus = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(MAGIC.length));
    } catch {
      throw new NnError('invalid-encoding', 'the ngram corpus is not valid UTF-8');
    }
    return new NgramGraph(BigramTable.fromCorpus(corpus), graphSettings);
  },
  async hardware(): Promise<HardwareVariant[]> {
    return [{ name: 'js', available: true, active: true, detail: 'plain JavaScript on the host thread' }];
  },
};

export default ngramBackend;
