/**
 * The wasi:nn host in a page: core's host and sessions (`NnHostBase`, `NnSession`) with named
 * models at URLs, and the component front end's operations served from a guest's session.
 */
import { NnError, sniffBytes, type ExecutionTarget, type FormatProbe, type GraphEncoding, type NamedTensor } from '@wacs/core/backend';
import { HEAD_BYTES, NnHostBase, packSteps, StreamSteps, type NnSession } from '@wacs/core/browser';

/** Named models are URLs: backends get them as `source.path` and fetch them (see `fetchModel`). */
export class BrowserHost extends NnHostBase {
  protected async probeModel(url: string): Promise<FormatProbe> {
    const response = await fetchModel(url);
    const head = await readHead(response);
    return { path: url, isDirectory: false, head, format: sniffBytes(head).format };
  }
}

/** Fetches a model, `not-found` with the URL and status when the server has none. */
export async function fetchModel(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new NnError('not-found', `model ${url} could not be fetched: ${(e as Error).message}`);
  }
  if (!response.ok) throw new NnError('not-found', `model ${url}: the server answered ${response.status} ${response.statusText}`);
  return response;
}

/** The first bytes of a response (enough for the sniffers), without downloading the rest. */
async function readHead(response: Response): Promise<Uint8Array> {
  const reader = response.body!.getReader();
  const head = new Uint8Array(HEAD_BYTES);
  let filled = 0;
  while (filled < HEAD_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    const take = value.subarray(0, HEAD_BYTES - filled);
    head.set(take, filled);
    filled += take.byteLength;
  }
  await reader.cancel();
  return head.slice(0, filled);
}

/** The operations the component front end (core's `componentNnImports`) calls through the bridge. */
export function componentOperations(session: NnSession): (op: string, args: unknown[]) => Promise<unknown> {
  const steps = new StreamSteps(session);
  return async (op, args) => {
    switch (op) {
      case 'load':
        return session.load(args[0] as Uint8Array[], args[1] as GraphEncoding, args[2] as ExecutionTarget);
      case 'loadByName':
        return session.loadByName(args[0] as string);
      case 'initContext':
        return session.initContext(args[0] as number);
      case 'compute':
        return session.compute(args[0] as number, args[1] as NamedTensor[]);
      // Token streaming (the wacs:stream step): every step ready, packed, the last null at the end.
      case 'streamSteps':
        return packSteps(await steps.next(args[0] as number, args[1] as NamedTensor[], args[2] as number));
      case 'streamEnd':
        await steps.settle(args[0] as number);
        return session.streamEnd(args[0] as number);
      case 'dropContext':
        await steps.settle(args[0] as number);
        return session.dropContext(args[0] as number);
      case 'dropGraph':
        return session.dropGraph(args[0] as number);
      default:
        throw new NnError('unsupported-operation', `the browser host does not serve "${op}"`);
    }
  };
}
