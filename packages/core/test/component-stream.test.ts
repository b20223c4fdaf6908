// Token streaming through the component front end (the wacs:stream step): a round trip brings
// every step the host has ready and the guest takes them one by one without another; the end of a
// stream closes it on the host, so the next step starts a new one; `end` drops the steps not yet
// taken. The host is a scripted stand-in answering the bridge synchronously, as the worker sees it.
import { describe, expect, it } from 'vitest';
import { componentNnImports, STREAM_INPUT } from '../src/abi/component.js';
import type { BridgeClient } from '../src/bridge/channel.js';
import { packSteps } from '../src/bridge/stream-wire.js';
import { textTensor, type NamedTensor } from '../src/index.js';

type Step = NamedTensor[] | null;
const piece = (text: string): Step => [{ name: '0', tensor: textTensor(text) }];
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A bridge whose `streamSteps` answers come from `replies`, in order; every call is recorded. */
function scriptedHost(replies: Step[][]) {
  const calls: Array<{ op: string; inputs?: string[] }> = [];
  const bridge = {
    call: (op: string, args: unknown[]) => {
      if (op === 'streamSteps') {
        calls.push({ op, inputs: (args[1] as NamedTensor[]).map((i) => `${i.name}=${decode(i.tensor.data)}`) });
        const reply = replies.shift();
        if (!reply) throw new Error('the guest asked for more steps than the script has');
        return packSteps(reply);
      }
      calls.push({ op });
      return op === 'loadByName' || op === 'initContext' ? 1 : undefined;
    },
  } as unknown as BridgeClient;
  const imports = componentNnImports(bridge);
  const { loadByName } = imports['wasi:nn/graph'] as { loadByName: (name: string) => { initExecutionContext(): { compute(inputs: Array<[string, unknown]>): Array<[string, { data(): Uint8Array }]> } } };
  const { Tensor } = imports['wasi:nn/tensor'] as { Tensor: new (dims: Uint32Array, type: string, data: Uint8Array) => unknown };
  const text = (s: string) => {
    const data = new TextEncoder().encode(s);
    return new Tensor(Uint32Array.of(data.length), 'U8', data);
  };
  const context = loadByName('m').initExecutionContext();
  /** One streaming step as a guest makes it: the text it got, or null for the end (an empty list). */
  const step = (control: 'next' | 'end', prompt?: string): string | null => {
    const inputs: Array<[string, unknown]> = [[STREAM_INPUT, text(control)]];
    if (prompt !== undefined) inputs.unshift(['prompt', text(prompt)]);
    const outputs = context.compute(inputs);
    return outputs.length ? decode(outputs[0]![1].data()) : null;
  };
  return { calls, step };
}

describe('component streaming (wacs:stream)', () => {
  it('hands out every step a round trip brought before asking the host again', () => {
    const { calls, step } = scriptedHost([[piece('Hel'), piece('lo')], [piece('!'), null]]);
    expect([step('next', 'hi'), step('next'), step('next'), step('next')]).toEqual(['Hel', 'lo', '!', null]);
    expect(calls.filter((c) => c.op === 'streamSteps')).toEqual([
      { op: 'streamSteps', inputs: ['prompt=hi'] },
      { op: 'streamSteps', inputs: [] },
    ]);
  });

  it('closes a stream at its end, so the next step starts a new one with its own inputs', () => {
    const { calls, step } = scriptedHost([[piece('one'), null], [piece('two'), null]]);
    expect([step('next', 'first'), step('next')]).toEqual(['one', null]);
    expect(calls.at(-1)).toEqual({ op: 'streamEnd' });
    expect([step('next', 'second'), step('next')]).toEqual(['two', null]);
    expect(calls.filter((c) => c.op === 'streamSteps').map((c) => c.inputs)).toEqual([['prompt=first'], ['prompt=second']]);
  });

  it('`end` stops the stream and drops the steps the guest has not taken', () => {
    const { calls, step } = scriptedHost([[piece('a'), piece('b'), piece('c')], [piece('fresh'), null]]);
    expect(step('next', 'x')).toBe('a');
    expect(step('end')).toBeNull();
    expect(calls.at(-1)).toEqual({ op: 'streamEnd' });
    // "b" and "c" belonged to the stream that was ended: the next step is a new stream's.
    expect([step('next', 'y'), step('next')]).toEqual(['fresh', null]);
  });
});
