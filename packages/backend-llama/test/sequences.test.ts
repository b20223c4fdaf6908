// The graph's shared llama context (parallel sequences borrowed by execution contexts) and the
// `messages` input, on the tiny random-weight llama. Oracle: node-llama-cpp called directly.
import { jsonTensor, NnError, type ExecutionContext, type NamedTensor, type Options } from '@wacs/core/backend';
import type { ChatHistoryItem } from 'node-llama-cpp';
import { LlamaChatSession } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaBackend } from '../src/index.js';
import type { LlamaGraph } from '../src/graph.js';
import { contextSettings } from '../src/sequence-pool.js';
import { directChat, directCompletion, directModel, hostWith, outputMetadata, outputText, request, tinyModelFile } from './helpers.js';

const PROMPT = 'Once upon a time';
const GREEDY = { temp: 0, 'repeat-penalty': 1 };
const SETTINGS = { threads: 1, 'ctx-size': 256 };

let path: string;
const graphs: LlamaGraph[] = [];

beforeAll(() => {
  path = tinyModelFile();
});

afterAll(async () => {
  for (const graph of graphs) await graph.dispose();
});

async function load(options: Options): Promise<LlamaGraph> {
  const graph = (await llamaBackend.load({ source: { kind: 'path', path }, encoding: 'ggml', target: 'cpu', options })) as LlamaGraph;
  graphs.push(graph);
  return graph;
}

/** Sequences of the graph's shared context now generating or parked. */
function taken(graph: LlamaGraph): number {
  return graph.sharedSequences(contextSettings(graph, graph.options))!.taken;
}

/** Streams to the end; the text. */
async function drain(context: ExecutionContext, inputs: NamedTensor[]): Promise<string> {
  const steps = context.stream!(inputs);
  let text = '';
  for (let step = await steps.next(); !step.done; step = await steps.next()) text += outputText(step.value);
  return text;
}

describe('llama backend: one shared llama context per graph', () => {
  it('sizes the shared context from parallel, else the host concurrency, else 1', async () => {
    expect((await load({ ...SETTINGS, parallel: 3 })).parallel).toBe(3);
    const fromHost = (await llamaBackend.load({ source: { kind: 'path', path }, encoding: 'ggml', target: 'cpu', options: SETTINGS, concurrency: 5 })) as LlamaGraph;
    graphs.push(fromHost);
    expect(fromHost.parallel).toBe(5);
    expect((await load(SETTINGS)).parallel).toBe(1);
  });

  it('parallel 2: a short generation started second ends first (decoded in the same batches), each as node-llama-cpp alone', async () => {
    const graph = await load({ ...SETTINGS, parallel: 2 });
    const order: string[] = [];
    const long = drain(graph.createContext(), request(PROMPT, { ...GREEDY, 'n-predict': 40 })).then((text) => (order.push('long'), text));
    await new Promise((resolve) => setTimeout(resolve, 0));
    const short = graph
      .createContext()
      .compute(request(PROMPT, { ...GREEDY, 'n-predict': 3 }))
      .then((outputs) => (order.push('short'), outputText(outputs)));
    const [longText, shortText] = await Promise.all([long, short]);
    expect(order).toEqual(['short', 'long']);
    expect(longText).toBe((await directCompletion(path, PROMPT, { temperature: 0, maxTokens: 40 })).text);
    expect(shortText).toBe((await directCompletion(path, PROMPT, { temperature: 0, maxTokens: 3 })).text);
  });

  it('parallel 1: a second context waits for the sequence until the first generation ends', async () => {
    const graph = await load({ ...SETTINGS, parallel: 1 });
    const order: string[] = [];
    const first = graph.createContext().stream!(request(PROMPT, { ...GREEDY, 'n-predict': 40 }));
    expect((await first.next()).done).toBe(false); // generating: it holds the only sequence
    const second = graph
      .createContext()
      .compute(request(PROMPT, { ...GREEDY, 'n-predict': 3 }))
      .then(() => order.push('short'));
    for (let step = await first.next(); !step.done; step = await first.next());
    order.push('long');
    await second;
    expect(order).toEqual(['long', 'short']);
  });

  it('gives a dropped context\'s sequence back; a waiter gets a parked one; a stopped wait ends', async () => {
    const graph = await load({ ...SETTINGS, parallel: 1 });
    const a = graph.createContext();
    await a.compute(request(PROMPT, { ...GREEDY, 'n-predict': 2 }));
    expect(taken(graph)).toBe(1); // parked with its KV cache
    await a.dispose();
    expect(taken(graph)).toBe(0);

    // Borrowers straight from the pool: one holds the only sequence (as a generation does).
    const pool = graph.sharedSequences(contextSettings(graph, graph.options))!;
    const holder = {};
    const held = await pool.acquire(holder);
    const stop = new AbortController();
    const stopped = pool.acquire({}, stop.signal);
    stop.abort();
    await expect(stopped).rejects.toThrow(/stopped while it waited/);
    const next = pool.acquire({});
    pool.park(holder, held); // the generation ended: a waiter takes the parked sequence, cleared
    const handedOver = await next;
    expect(handedOver).not.toBe(held);
    expect(taken(graph)).toBe(1);
    await pool.release(handedOver);
    expect(taken(graph)).toBe(0);
    const b = graph.createContext();
    expect(outputText(await b.compute(request(PROMPT, { ...GREEDY, 'n-predict': 5 })))).toBe((await directCompletion(path, PROMPT, { temperature: 0, maxTokens: 5 })).text);
  });

  it('dropping a context mid-generation (a client gone) stops the generation and frees its sequence at once', async () => {
    const graph = await load({ threads: 1, 'ctx-size': 2048, parallel: 1 });
    const context = graph.createContext();
    const steps = context.stream!(request(PROMPT, { ...GREEDY, 'n-predict': 2000 }));
    expect((await steps.next()).done).toBe(false);
    await context.dispose(); // what the host does when the guest's session closes
    expect(taken(graph)).toBe(0);
    let chunks = 1;
    for (let step = await steps.next(); !step.done; step = await steps.next()) chunks++;
    expect(chunks).toBeLessThan(2000); // stopped, not run to its end
    const next = graph.createContext();
    expect(outputText(await next.compute(request(PROMPT, { ...GREEDY, 'n-predict': 4 })))).toBe((await directCompletion(path, PROMPT, { temperature: 0, maxTokens: 4 })).text);
  });

  it('a conversation survives its parked sequence being taken by another context', async () => {
    const graph = await load({ threads: 1, 'ctx-size': 1024, parallel: 1 });
    const chat = graph.createContext();
    const options = { ...GREEDY, chat: true, 'n-predict': 6 };
    const first = outputText(await chat.compute(request('Hello there', options)));
    await graph.createContext().compute(request(PROMPT, { ...GREEDY, 'n-predict': 2 })); // takes the only sequence
    const second = outputText(await chat.compute(request('Tell me more', options)));
    expect([first, second]).toEqual(await directChat(path, ['Hello there', 'Tell me more'], { temperature: 0, maxTokens: 6, repeatPenalty: false }, 1024));
  });
});

describe('llama backend: the messages input', () => {
  const conversation = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Hello there' },
    { role: 'assistant', content: 'Hi.' },
    { role: 'user', content: 'Tell me a story' },
  ];
  const history: ChatHistoryItem[] = [
    { type: 'system', text: 'You are terse.' },
    { type: 'user', text: 'Hello there' },
    { type: 'model', response: ['Hi.'] },
  ];

  function messages(list: unknown, metadata: Record<string, unknown>): NamedTensor[] {
    return [
      { name: 'messages', tensor: jsonTensor(list) },
      { name: 'metadata', tensor: jsonTensor(metadata) },
    ];
  }

  it('renders the whole conversation through the chat template: reply and prompt tokens as node-llama-cpp gives them', async () => {
    const host = hostWith({ tiny: { path, options: { threads: 1, 'ctx-size': 1024 } } });
    const session = host.session();
    try {
      const context = await session.initContext(await session.loadByName('tiny'));
      const outputs = await session.compute(context, messages(conversation, { ...GREEDY, 'n-predict': 6 }));

      const model = await directModel(path);
      const direct = await model.createContext({ contextSize: 1024, threads: 1, sequences: 1 });
      try {
        const chat = new LlamaChatSession({ contextSequence: direct.getSequence() });
        chat.setChatHistory(history);
        const state = chat.chatWrapper.generateContextState({ chatHistory: [...history, { type: 'user', text: 'Tell me a story' }, { type: 'model', response: [] }] });
        const promptTokens = state.contextText.tokenize(model.tokenizer).length;
        const lastAlone = chat.chatWrapper.generateContextState({ chatHistory: [{ type: 'user', text: 'Tell me a story' }, { type: 'model', response: [] }] });
        expect(promptTokens).toBeGreaterThan(lastAlone.contextText.tokenize(model.tokenizer).length);
        expect(outputMetadata(outputs).input_tokens).toBe(promptTokens);
        expect(outputText(outputs)).toBe(await chat.prompt('Tell me a story', { temperature: 0, maxTokens: 6, repeatPenalty: false }));
      } finally {
        await direct.dispose();
      }
    } finally {
      await session.close();
      await host.dispose();
    }
  });

  it("uses the GGUF's own chat template (ChatML here): prompt tokens and reply as node-llama-cpp's chat session on that file", async () => {
    const chatml =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const templated = tinyModelFile({ seed: 7, chatTemplate: chatml });
    const graph = (await llamaBackend.load({ source: { kind: 'path', path: templated }, encoding: 'ggml', target: 'cpu', options: { threads: 1, 'ctx-size': 1024 } })) as LlamaGraph;
    graphs.push(graph);
    const outputs = await graph.createContext().compute(messages(conversation, { ...GREEDY, 'n-predict': 3 }));
    // node-llama-cpp directly on the same file: its chat session picks the GGUF's template (ChatML here).
    const model = await directModel(templated);
    const direct = await model.createContext({ contextSize: 1024, threads: 1, sequences: 1 });
    try {
      const chat = new LlamaChatSession({ contextSequence: direct.getSequence() });
      expect(chat.chatWrapper.wrapperName).toBe('ChatML');
      const state = chat.chatWrapper.generateContextState({ chatHistory: [...history, { type: 'user', text: 'Tell me a story' }, { type: 'model', response: [] }] });
      expect(state.contextText.toString()).toContain('<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>');
      expect(outputMetadata(outputs).input_tokens).toBe(state.contextText.tokenize(model.tokenizer).length);
      chat.setChatHistory(history);
      expect(outputText(outputs)).toBe(await chat.prompt('Tell me a story', { temperature: 0, maxTokens: 3, repeatPenalty: false }));
    } finally {
      await direct.dispose();
    }
  });

  it('refuses a conversation that does not end with the user, unknown roles, and a prompt beside messages', async () => {
    const graph = await load({ ...SETTINGS, 'ctx-size': 1024 });
    const context = graph.createContext();
    const refused = (inputs: NamedTensor[]) => context.compute(inputs).then(() => undefined, (e: NnError) => e);
    expect(await refused(messages(conversation.slice(0, 3), GREEDY))).toMatchObject({ code: 'invalid-argument', message: expect.stringContaining("the last message must be the user's") });
    expect(await refused(messages([{ role: 'tool', content: 'x' }], GREEDY))).toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('[0].role') });
    expect(await refused([...request('hi'), ...messages(conversation, GREEDY)])).toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('not both') });
  });
});
