// Graph options and addresses: what a user gets wrong is refused with a message naming it.
import { probePath } from '@wacs/core';
import { describe, expect, it } from 'vitest';
import { remoteBackend } from '../src/index.js';
import { remoteHost } from './helpers.js';
import { retryAfterMs, serverMessage } from '../src/faults.js';

const load = (path: string, options: Record<string, string | number | boolean>, name = 'big') =>
  remoteBackend.load({ source: { kind: 'path', path }, encoding: 'autodetect', target: 'auto', options, name });

describe('remote backend options', () => {
  it('claims server addresses only', async () => {
    expect(remoteBackend.detect!(await probePath('https://models.example:8443'))).toBe(true);
    expect(remoteBackend.detect!({ isDirectory: false, head: new Uint8Array([0x47, 0x47, 0x55, 0x46]), format: 'gguf', path: '/m.gguf' })).toBe(false);
  });

  it('refuses guest bytes, a missing protocol, unknown keys and bad values, naming them', async () => {
    await expect(remoteBackend.load({ source: { kind: 'bytes', builders: [new Uint8Array(4)] }, encoding: 'onnx', target: 'auto', options: {} })).rejects.toMatchObject({ code: 'unsupported-operation' });
    await expect(load('http://127.0.0.1:9', {})).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('protocol=oip or protocol=openai') });
    await expect(load('http://127.0.0.1:9', { protocol: 'grpc' })).rejects.toMatchObject({ message: expect.stringContaining('"protocol" must be one of oip, openai') });
    await expect(load('http://127.0.0.1:9', { protocol: 'oip', 'remote-modle': 'x' })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('unknown option "remote-modle"') });
    await expect(load('http://127.0.0.1:9', { protocol: 'openai', tmep: 0 })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('unknown option "tmep"') });
    await expect(load('http://127.0.0.1:9', { protocol: 'openai', 'n-predict': 0 })).rejects.toMatchObject({ message: expect.stringContaining('"n-predict" must be -1') });
    await expect(load('http://127.0.0.1:9', { protocol: 'oip', retries: -1 })).rejects.toMatchObject({ message: expect.stringContaining('"retries" must be at least 0') });
  });

  it('keeps credentials out of URLs and takes the key only from the named host variable', async () => {
    await expect(load('https://user:secret@models.example', { protocol: 'oip' })).rejects.toMatchObject({ code: 'security', message: expect.not.stringContaining('secret') });
    delete process.env.WACS_REMOTE_TEST_UNSET;
    await expect(load('https://models.example', { protocol: 'openai', 'api-key-env': 'WACS_REMOTE_TEST_UNSET' })).rejects.toMatchObject({
      code: 'security',
      message: expect.stringContaining('WACS_REMOTE_TEST_UNSET (api-key-env) is not set'),
    });
  });

  it('lets no guest choose the key variable, the protocol or the remote model (load_by_name_with_config)', async () => {
    const host = remoteHost({ big: { url: 'http://127.0.0.1:9', options: { protocol: 'openai' } } });
    await expect(host.loadNamed('big', { 'api-key-env': 'HOME', 'remote-model': 'other' })).rejects.toMatchObject({
      code: 'security',
      message: expect.stringContaining('a guest cannot set "api-key-env", "remote-model"'),
    });
    await host.dispose();
  });

  it('reads Retry-After as seconds or a date, and the server\'s message from OIP, OpenAI or text bodies', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(serverMessage('{"error":"Model x not found"}')).toBe('Model x not found');
    expect(serverMessage('{"error":{"message":"Rate limit","type":"rate"}}')).toBe('Rate limit');
    expect(serverMessage('Bad Gateway')).toBe('Bad Gateway');
  });
});
