// Token streaming through the component front end (the wacs:stream step): a round trip brings
// every step the host has ready and the guest takes them one by one without another; the end of a
// stream closes it on the host, so the next step starts a new one; `end` drops the steps not yet
// taken. The host is a scripted stand-in answering now, as the blocking bridge does, or later, as a
// host in the guest's own worker does through JSPI (jco's bindings then await each answer).
import { describe, expect, it } from 'vitest';
import { componentNnImports, STREAM_INPUT } from '../src/abi/component.js';
import type { BridgeClient } from '../src/bridge/channel.js';
import { packSteps } from '../src/bridge/stream-wire.js';
import { NnError, textTensor, type NamedTensor } from '../src/index.js';

type Step = NamedTensor[] | null;
const piece = (text: string): Step => [{ name: '0', tensor: textTensor(text) }];
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

type Answers = 'now' | 'later';
type Outputs = Array<[string, { data(): Uint8Array }]>;
type Context = { compute(inputs: Array<[string, unknown]>): Outputs | Promise<Outputs> };
type Graph = { initExecutionContext(): Context | Promise<Context> };

/**
 * A host whose `streamSteps` answers come from `replies`, in order, answering now or later; every
 * call is recorded. `fail` makes one operation fail with an NnError.
 */
function scriptedHost(replies: Step[][], answers: Answers = 'now', fail?: { op: string; error: NnError }) {
  const calls: Array<{ op: string; inputs?: string[] }> = [];
  const answer = (op: string, args: unknown[]): unknown => {
    if (op === fail?.op) throw fail.error;
    if (op === 'streamSteps') {
      calls.push({ op, inputs: (args[1] as NamedTensor[]).map((i) => `${i.name}=${decode(i.tensor.data)}`) });
      const reply = replies.shift();
      if (!reply) throw new Error('the guest asked for more steps than the script has');
      return packSteps(reply);
    }
    calls.push({ op });
    return op === 'loadByName' || op === 'initContext' ? 1 : undefined;
  };
  const call = answers === 'now' ? answer : async (op: string, args: unknown[]) => answer(op, args);
  const logged: string[] = [];
  const imports = componentNnImports({ call } as unknown as BridgeClient, { log: (line) => logged.push(line) });
  const { loadByName } = imports['wasi:nn/graph'] as { loadByName: (name: string) => Graph | Promise<Graph> };
  const { Tensor } = imports['wasi:nn/tensor'] as { Tensor: new (dims: Uint32Array, type: string, data: Uint8Array) => unknown };
  const text = (s: string) => {
    const data = new TextEncoder().encode(s);
    return new Tensor(Uint32Array.of(data.length), 'U8', data);
  };
  /** What an import gave: with answers now, the value itself, as jco's synchronous bindings need (later, a promise or, for a step already brought, the value). */
  const given = async <T>(value: T | Promise<T>): Promise<T> => {
    if (answers === 'now') expect(value).not.toBeInstanceOf(Promise);
    return value;
  };
  const contextReady = given(loadByName('m')).then((graph) => given(graph.initExecutionContext()));
  /** One streaming step as a guest makes it: the text it got, or null for the end (an empty list). */
  const step = async (control: 'next' | 'end', prompt?: string): Promise<string | null> => {
    const inputs: Array<[string, unknown]> = [[STREAM_INPUT, text(control)]];
    if (prompt !== undefined) inputs.unshift(['prompt', text(prompt)]);
    const outputs = await given((await contextReady).compute(inputs));
    return outputs.length ? decode(outputs[0]![1].data()) : null;
  };
  /** In order, as a guest makes them. */
  const steps = async (...made: Array<['next' | 'end', string?]>) => {
    const texts = [];
    for (const [control, prompt] of made) texts.push(await step(control, prompt));
    return texts;
  };
  return { calls, step, steps, context: contextReady, logged };
}

describe.each(['now', 'later'] as const)('component streaming (wacs:stream), the host answering %s', (answers) => {
  it('hands out every step a round trip brought before asking the host again', async () => {
    const { calls, steps } = scriptedHost([[piece('Hel'), piece('lo')], [piece('!'), null]], answers);
    expect(await steps(['next', 'hi'], ['next'], ['next'], ['next'])).toEqual(['Hel', 'lo', '!', null]);
    expect(calls.filter((c) => c.op === 'streamSteps')).toEqual([
      { op: 'streamSteps', inputs: ['prompt=hi'] },
      { op: 'streamSteps', inputs: [] },
    ]);
  });

  it('closes a stream at its end, so the next step starts a new one with its own inputs', async () => {
    const { calls, steps } = scriptedHost([[piece('one'), null], [piece('two'), null]], answers);
    expect(await steps(['next', 'first'], ['next'])).toEqual(['one', null]);
    expect(calls.at(-1)).toEqual({ op: 'streamEnd' });
    expect(await steps(['next', 'second'], ['next'])).toEqual(['two', null]);
    expect(calls.filter((c) => c.op === 'streamSteps').map((c) => c.inputs)).toEqual([['prompt=first'], ['prompt=second']]);
  });

  it('`end` stops the stream and drops the steps the guest has not taken', async () => {
    const { calls, step, steps } = scriptedHost([[piece('a'), piece('b'), piece('c')], [piece('fresh'), null]], answers);
    expect(await step('next', 'x')).toBe('a');
    expect(await step('end')).toBeNull();
    expect(calls.at(-1)).toEqual({ op: 'streamEnd' });
    // "b" and "c" belonged to the stream that was ended: the next step is a new stream's.
    expect(await steps(['next', 'y'], ['next'])).toEqual(['fresh', null]);
  });

  it("a host's failure is the guest's wasi:nn error with the host's code and message", async () => {
    const { step } = scriptedHost([], answers, { op: 'streamSteps', error: new NnError('too-large', 'the prompt does not fit') });
    const failure = await step('next', 'x').then(
      () => undefined,
      (e: { payload?: { code(): string; data(): string } }) => e,
    );
    expect(failure?.payload?.code()).toBe('too-large');
    expect(failure?.payload?.data()).toBe('the prompt does not fit');
  });
});

it('a drop the host fails later is reported, not thrown at the guest (jco calls drops synchronously)', async () => {
  const { context, logged } = scriptedHost([], 'later', { op: 'dropContext', error: new NnError('runtime-error', 'gone') });
  const resource = (await context) as unknown as Record<symbol, () => void>;
  // jco's resource drop: Symbol.dispose where the runtime has it, as core's front end defines it.
  const dispose = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');
  expect(() => resource[dispose]!()).not.toThrow();
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(logged).toEqual(['wacs: dropContext failed: gone']);
});
