// llm-chat: chat with a GGUF language model the host serves through wasi:nn (@wacs/backend-llama).
//
//   llm-chat [--model NAME] [--raw] [--no-stream] [--stats] [--set KEY=VALUE]… [PROMPT…]
//
// The model is the one registered as NAME (wacs run --model NAME=model.gguf); without --model, the
// LLM_MODEL environment variable names it (wacs run --env LLM_MODEL=NAME).
// With a PROMPT: one answer, then exit. Without: a conversation on stdin, `>>> ` before each line;
// `/bye` or the end of input ends it, `/reset` starts a new conversation.
//
//   --raw         plain text completion (no chat template, no conversation)
//   --no-stream   print each answer when it is complete instead of token by token
//   --stats       after each answer, a line `[stats] input_tokens=… output_tokens=… ms=… tokens_per_s=…`
//   --set K=V     a backend option for every compute (n-predict, temp, ctx-size, seed, …); V is JSON
//                 when it parses as JSON, else a string. LLM_OPTIONS='{"temp":0}' sets them too.
//
// Streaming: a component's compute returns once the answer is complete, so the guest asks the host
// to print the tokens as they come (the backend's stream-stdout option, as on WasmEdge) and prints
// only the newline after them. A failed answer prints its error, and the conversation goes on.
import { describeError, env, LineReader, loadByName, parsedArgs, text, textTensor, write, type GraphExecutionContext, type Tensor } from '../lib/nn.js';

const USAGE = 'usage: llm-chat [--model NAME] [--raw] [--no-stream] [--stats] [--set KEY=VALUE]… [PROMPT…]';

interface Settings {
  model: string;
  raw: boolean;
  stream: boolean;
  stats: boolean;
  options: Record<string, unknown>;
  prompt: string;
}

function optionValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseArgs(argv: string[]): Settings {
  const settings: Settings = { model: env('LLM_MODEL') ?? '', raw: false, stream: true, stats: false, options: {}, prompt: '' };
  const fromEnv = env('LLM_OPTIONS');
  if (fromEnv) {
    const parsed = optionValue(fromEnv);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('LLM_OPTIONS must be a JSON object');
    Object.assign(settings.options, parsed);
  }
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--model' || a === '-m') settings.model = argv[++i] ?? '';
    else if (a === '--raw') settings.raw = true;
    else if (a === '--no-stream') settings.stream = false;
    else if (a === '--stats') settings.stats = true;
    else if (a === '--set') {
      const kv = argv[++i] ?? '';
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error(`--set expects KEY=VALUE, got "${kv}"`);
      settings.options[kv.slice(0, eq)] = optionValue(kv.slice(eq + 1));
    } else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else words.push(a);
  }
  if (!settings.model) throw new Error(`which model? pass --model NAME or set LLM_MODEL (wacs run --env LLM_MODEL=NAME); ${USAGE}`);
  settings.prompt = words.join(' ');
  return settings;
}

/** Asks once: streams the answer (or prints it whole), then the newline and the stats line. */
function answer(context: GraphExecutionContext, prompt: string, settings: Settings): void {
  const metadata = { chat: !settings.raw, ...settings.options, 'stream-stdout': settings.stream };
  const started = performance.now();
  const outputs = new Map<string, Tensor>(context.compute([['prompt', textTensor(prompt)], ['metadata', textTensor(JSON.stringify(metadata))]]));
  const ms = performance.now() - started;
  const reply = outputs.get('0');
  write(`${settings.stream || !reply ? '' : text(reply)}\n`);
  if (settings.stats) {
    const usage = JSON.parse(text(outputs.get('metadata')!)) as { input_tokens: number; output_tokens: number };
    const rate = (usage.output_tokens / ms) * 1000;
    write(`[stats] input_tokens=${usage.input_tokens} output_tokens=${usage.output_tokens} ms=${ms.toFixed(1)} tokens_per_s=${rate.toFixed(1)}\n`);
  }
}

/** Drops a wasi:nn resource now instead of at garbage collection (componentize-js resources are disposable). */
function drop(resource: object): void {
  (resource as Record<symbol, (() => void) | undefined>)[Symbol.for('dispose')]?.();
}

export const run = {
  run(): void {
    const settings = parsedArgs(parseArgs);
    let context: GraphExecutionContext;
    try {
      const graph = loadByName(settings.model);
      const newContext = () => graph.initExecutionContext();
      context = newContext();

      if (settings.prompt) {
        answer(context, settings.prompt, settings);
        return;
      }

      const lines = new LineReader();
      for (;;) {
        write('>>> ');
        const line = lines.readLine();
        if (line === null || line.trim() === '/bye') break;
        if (!line.trim()) continue;
        if (line.trim() === '/reset') {
          // A fresh execution context is a fresh conversation.
          drop(context);
          context = newContext();
          continue;
        }
        try {
          answer(context, line, settings);
        } catch (e) {
          write(`\nerror: ${describeError(e)}\n`);
        }
      }
      write('\n');
    } catch (e) {
      write(`error: ${describeError(e)}\n`);
      throw e;
    }
  },
};
