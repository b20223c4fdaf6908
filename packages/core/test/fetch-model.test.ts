/** Core's model fetching for backends in a page, against a real HTTP server on loopback. */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchModelBytes, fetchModelFile, NnError } from '../src/contract.js';

const FILES: Record<string, string> = { '/m/model.json': '{"modelTopology":{}}', '/m/weights.bin': 'WEIGHTS', '/secret': 'no' };

describe('fetchModelBytes / fetchModelFile', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      const body = FILES[request.url ?? ''];
      response.statusCode = body === undefined ? 404 : 200;
      response.end(body ?? 'missing');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

  it('fetches a model by URL, and joins a guest\'s graph builders', async () => {
    const byUrl = await fetchModelBytes({ source: { kind: 'path', path: `${base}/m/model.json` }, encoding: 'tensorflow', target: 'auto', options: {} });
    expect(text(byUrl)).toBe(FILES['/m/model.json']);
    const builders = [new Uint8Array([1, 2]), new Uint8Array([3])];
    expect([...(await fetchModelBytes({ source: { kind: 'bytes', builders }, encoding: 'onnx', target: 'auto', options: {} }))]).toEqual([1, 2, 3]);
  });

  it('fetches a file beside the model, and nothing outside its folder', async () => {
    expect(text(await fetchModelFile(`${base}/m/model.json`, 'weights.bin'))).toBe('WEIGHTS');
    for (const path of ['../secret', '/secret', `${base}/secret`, 'a/../../secret']) {
      await expect(fetchModelFile(`${base}/m/model.json`, path)).rejects.toMatchObject({ code: 'invalid-encoding' });
    }
  });

  it('a file the server does not have is not-found with the URL and status', async () => {
    const error = await fetchModelFile(`${base}/m/model.json`, 'absent.bin').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NnError);
    expect(error).toMatchObject({ code: 'not-found', message: expect.stringContaining(`${base}/m/absent.bin: the server answered 404`) });
    await expect(fetchModelFile('http://127.0.0.1:1/x')).rejects.toMatchObject({ code: 'not-found', message: expect.stringContaining('could not be fetched') });
  });
});
