// serve-probe: a wasi:http service (world nn-http) that exercises what `wacs serve` must handle.
//
//   GET  /hello                 200 "hello"
//   POST /echo                  the request body back, with x-method and x-path headers
//   GET  /stream?n=N&ms=MS&tail=T  N lines "chunk i", each written MS ms after the last; the body ends T ms after the last line
//   GET  /trap                  the guest traps (an exception out of the handler)
//   GET  /hang                  the guest never answers (a busy loop)
//   GET  /count                 how many requests this instance has handled (1 on a fresh instance)
//   GET  /alloc?mb=N            keeps N MiB alive in the instance, a MiB at a time (its memory grows), then answers as /count
//   POST /nn?model=NAME         body {"dims":[…],"data":[…]} as an FP32 input named "x" to the model
//                               registered as NAME; answers {"dims":[…],"data":[…]} of its first output
//   GET  /write-after-finish    answers "done", then tries to write to the finished body
import { subscribeDuration } from 'wasi:clocks/monotonic-clock@0.2.3';
import type { IncomingRequest, ResponseOutparam } from 'wasi:http/types@0.2.3';
import { bodyText, drop, readRequest, respond, respondJson, ResponseWriter } from '../lib/http.js';
import { describeError, loadByName, tensor, values } from '../lib/nn.js';

let handled = 0;
const kept: Uint8Array[] = [];

function sleep(ms: number): void {
  subscribeDuration(BigInt(ms) * 1_000_000n).block();
}

function runModel(name: string, input: { dims: number[]; data: number[] }): { dims: number[]; data: number[] } {
  const graph = loadByName(name);
  const context = graph.initExecutionContext();
  try {
    const outputs = context.compute([['x', tensor('FP32', input.dims, input.data)]]);
    const [, output] = outputs[0]!;
    return { dims: Array.from(output.dimensions()), data: Array.from(values(output) as Float32Array) };
  } finally {
    // With --reuse-instances the instance lives on: give the host its context and graph back now.
    drop(context);
    drop(graph);
  }
}

export const incomingHandler = {
  handle(incoming: IncomingRequest, outparam: ResponseOutparam): void {
    handled++;
    const request = readRequest(incoming);
    switch (request.path) {
      case '/hello':
        return respond(outparam, 200, 'hello');
      case '/echo':
        return respond(outparam, 200, request.body, {
          'content-type': request.headers.get('content-type') ?? 'application/octet-stream',
          'x-method': request.method,
          'x-path': request.path,
        });
      case '/stream': {
        const n = Number(request.query.get('n') ?? 3);
        const ms = Number(request.query.get('ms') ?? 0);
        const writer = new ResponseWriter(outparam, 200, { 'content-type': 'text/plain' });
        for (let i = 0; i < n; i++) {
          if (i > 0 && ms > 0) sleep(ms);
          writer.write(`chunk ${i}\n`);
        }
        const tail = Number(request.query.get('tail') ?? 0);
        if (tail > 0) sleep(tail);
        return writer.end();
      }
      case '/trap':
        throw new Error('trap requested');
      case '/hang':
        for (;;) {
          // never answers: the server's --request-timeout must end it
        }
      case '/count':
        return respond(outparam, 200, String(handled));
      case '/alloc':
        for (let mb = Number(request.query.get('mb') ?? 1); mb > 0; mb--) kept.push(new Uint8Array(2 ** 20).fill(1));
        return respond(outparam, 200, String(handled));
      case '/nn': {
        try {
          return respondJson(outparam, 200, runModel(request.query.get('model') ?? '', JSON.parse(bodyText(request))));
        } catch (e) {
          return respondJson(outparam, 400, { error: describeError(e) });
        }
      }
      case '/write-after-finish': {
        const writer = new ResponseWriter(outparam, 200, {});
        writer.write('done');
        writer.end();
        writer.write('too late');
        return;
      }
      default:
        return respond(outparam, 404, `no route ${request.method} ${request.path}`);
    }
  },
};
