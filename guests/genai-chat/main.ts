// genai-chat: chat with, or generate from, an onnxruntime-genai model folder loaded by name.
//
//   genai-chat <model> [options] [prompt…]
//
// With a prompt: one reply, printed. Without one: a chat on stdin, one user line per turn; each turn
// sends the whole conversation as JSON messages with "chat": true, so the model's own chat template
// renders it. A failed turn prints its error and the chat goes on.
//
//   --ids 1,2,3          generate from token ids instead of text; prints `output_ids: …` and `response: "…"`
//   --raw                plain prompts, no chat template (the default when the model has none)
//   --system <text>      a system message first in the chat
//   --max-length N --max-new-tokens N --min-length N --temperature T --top-k K --top-p P
//   --repetition-penalty R --seed S --sample
import { args, describeError, LineReader, loadByName, tensor, text, textTensor, values, write, type Tensor } from '../lib/nn.js';

interface Options {
  model: string;
  ids?: number[];
  raw: boolean;
  system?: string;
  search: Record<string, number | boolean>;
  prompt: string;
}

const NUMBER_OPTIONS: Record<string, string> = {
  '--max-length': 'max_length',
  '--max-new-tokens': 'max_new_tokens',
  '--min-length': 'min_length',
  '--temperature': 'temperature',
  '--top-k': 'top_k',
  '--top-p': 'top_p',
  '--repetition-penalty': 'repetition_penalty',
  '--seed': 'random_seed',
};

function parseArgs(argv: string[]): Options {
  const model = argv.shift();
  if (!model) throw new Error('usage: genai-chat <model> [--ids 1,2,3] [--raw] [--system TEXT] [--max-new-tokens N …] [prompt…]');
  const options: Options = { model, raw: false, search: {}, prompt: '' };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const key = NUMBER_OPTIONS[a];
    if (key) {
      const value = Number(argv[++i]);
      if (!Number.isFinite(value)) throw new Error(`${a} expects a number`);
      options.search[key] = value;
    } else if (a === '--ids') options.ids = (argv[++i] ?? '').split(',').map(Number);
    else if (a === '--raw') options.raw = true;
    else if (a === '--sample') options.search.do_sample = true;
    else if (a === '--system') options.system = argv[++i];
    else words.push(a);
  }
  options.prompt = words.join(' ');
  return options;
}

/** The wasi:nn error code of a failed call, if it was one. */
function errorCode(e: unknown): string | undefined {
  const err = (e as { payload?: { code?: () => string } }).payload;
  return typeof err?.code === 'function' ? err.code() : undefined;
}

function outputsByName(outputs: Array<[string, Tensor]>): Map<string, Tensor> {
  return new Map(outputs);
}

export const run = {
  run(): void {
    const options = parseArgs(args());
    try {
      const context = loadByName(options.model).initExecutionContext();
      const ask = (input: Tensor, extra: Record<string, unknown>) => {
        const metadata = textTensor(JSON.stringify({ ...options.search, ...extra }));
        const first = input.ty() === 'U8' ? 'prompt' : 'input_ids';
        return outputsByName(context.compute([[first, input], ['metadata', metadata]]));
      };

      if (options.ids) {
        const outputs = ask(tensor('I64', [1, options.ids.length], options.ids), { generate: true });
        const ids = Array.from(values(outputs.get('output_ids')!) as BigInt64Array, Number);
        console.log(`output_ids: ${ids.join(',')}`);
        console.log(`response: ${JSON.stringify(text(outputs.get('response')!))}`);
        return;
      }
      if (options.prompt) {
        console.log(text(ask(textTensor(options.prompt), {}).get('response')!));
        return;
      }

      const messages: Array<{ role: string; content: string }> = options.system ? [{ role: 'system', content: options.system }] : [];
      let raw = options.raw;
      const lines = new LineReader();
      for (let line = lines.readLine(); line !== null; line = lines.readLine()) {
        if (!line.trim()) continue;
        const turn = [...messages, { role: 'user', content: line }];
        try {
          let reply: string;
          try {
            reply = raw ? text(ask(textTensor(line), {}).get('response')!) : text(ask(textTensor(JSON.stringify(turn)), { chat: true }).get('response')!);
          } catch (e) {
            if (raw || errorCode(e) !== 'unsupported-operation') throw e;
            console.error(`(${describeError(e)}; sending plain prompts from now on)`);
            raw = true;
            reply = text(ask(textTensor(line), {}).get('response')!);
          }
          messages.push(turn[turn.length - 1]!, { role: 'assistant', content: reply });
          write(`${reply}\n`);
        } catch (e) {
          console.error(describeError(e));
        }
      }
    } catch (e) {
      console.error(describeError(e));
      throw e;
    }
  },
};
