import { describe, expect, it } from 'vitest';
import { BackendRegistry, ModelRegistry, parseModelArg, parseNnPreload, probeBytes, sniffBytes, sniffFolder, type Backend, type FormatProbe } from '../src/index.js';

function fakeBackend(name: string, encodings: Backend['encodings'], accepts?: (p: FormatProbe) => boolean): Backend {
  return { name, encodings, detect: accepts, load: async () => ({ createContext: () => ({ compute: async () => [], dispose() {} }), dispose() {} }) };
}

const enc = (s: string) => new TextEncoder().encode(s);

describe('format sniffing', () => {
  it('recognises GGUF, ONNX, tfjs, PMML and folders', () => {
    expect(sniffBytes(enc('GGUF\x03\x00\x00\x00')).format).toBe('gguf');
    // ModelProto: ir_version = 8 (0x08 0x08), then producer_name (0x12)
    expect(sniffBytes(Uint8Array.of(0x08, 0x08, 0x12, 0x03, 0x61, 0x62, 0x63)).encoding).toBe('onnx');
    expect(sniffBytes(enc('{"format": "layers-model", "modelTopology": {}}')).encoding).toBe('tensorflow');
    expect(sniffBytes(enc('<?xml version="1.0"?>\n<PMML version="4.4">')).format).toBe('pmml');
    expect(sniffBytes(enc('random text')).format).toBe('unknown');
    expect(sniffFolder(['genai_config.json', 'model.onnx']).format).toBe('genai-folder');
    expect(sniffFolder(['model.json', 'group1-shard1of1.bin']).encoding).toBe('tensorflow');
  });
});

describe('BackendRegistry', () => {
  it('resolves by encoding, highest priority first, skipping backends whose detect refuses', async () => {
    const registry = new BackendRegistry();
    registry.register(fakeBackend('plain-onnx', ['onnx']), 0);
    registry.register(fakeBackend('onnx-ml', ['onnx'], (p) => p.format === 'onnx-ml'), 10);
    const probe = probeBytes([Uint8Array.of(0x08, 0x08, 0x12, 0x00)]);
    expect((await registry.resolve('onnx', probe)).backend.name).toBe('plain-onnx');
    expect((await registry.resolve('onnx', { ...probe, format: 'onnx-ml' })).backend.name).toBe('onnx-ml');
  });
  it('autodetect takes the encoding the sniffers suggest', async () => {
    const registry = new BackendRegistry();
    registry.register(fakeBackend('llama', ['ggml']));
    registry.register(fakeBackend('onnx', ['onnx']));
    const resolved = await registry.resolve('autodetect', probeBytes([enc('GGUF\x03\x00\x00\x00')]));
    expect(resolved).toMatchObject({ encoding: 'ggml', backend: { name: 'llama' } });
  });
  it('says what is bound when nothing can load a model', async () => {
    const registry = new BackendRegistry();
    registry.register(fakeBackend('onnx', ['onnx']));
    await expect(registry.resolve('ggml', probeBytes([enc('GGUF')]))).rejects.toMatchObject({
      code: 'invalid-encoding',
      message: expect.stringContaining('bound backends: onnx [onnx]'),
    });
    await expect(new BackendRegistry().resolve('onnx', probeBytes([enc('x')]))).rejects.toThrow(/use --bind/);
  });
  it('a named backend must be bound', async () => {
    const registry = new BackendRegistry();
    await expect(registry.resolve('onnx', probeBytes([enc('x')]), 'nope')).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('ModelRegistry', () => {
  it('treats a name only as a key: paths are not-found', () => {
    const models = new ModelRegistry();
    models.add('mnist', { path: '/models/mnist.onnx' });
    expect(models.get('mnist').path).toBe('/models/mnist.onnx');
    for (const name of ['../../etc/passwd', '/etc/passwd', '/models/mnist.onnx', 'mnist/..', '']) {
      expect(() => models.get(name)).toThrow(expect.objectContaining({ code: 'not-found', reason: undefined }));
    }
    expect(() => models.get('nope')).toThrow(/registered: mnist/);
  });
  it('parses --model qualifiers and options', () => {
    expect(parseModelArg('qwen=./q.gguf,target=cpu,threads=1,chat=true,backend=llama')).toEqual({
      name: 'qwen',
      spec: { path: './q.gguf', target: 'cpu', backend: 'llama', options: { threads: 1, chat: true } },
    });
    expect(() => parseModelArg('noequals')).toThrow(/name=path/);
    expect(() => parseModelArg('a=b,encoding=nope')).toThrow(/unknown encoding/);
  });
  it("parses WasmEdge's --nn-preload", () => {
    expect(parseNnPreload('default:GGML:AUTO:/m/llama.gguf')).toEqual({ name: 'default', spec: { path: '/m/llama.gguf', encoding: 'ggml', target: 'auto' } });
    expect(() => parseNnPreload('a:GGML:/x')).toThrow(/name:ENCODING:TARGET:path/);
  });
});

describe('BackendRegistry: a named encoding nothing recognises', () => {
  it('goes to the general backend (priority <= 0), not to a specialist or a forms-only backend', async () => {
    const registry = new BackendRegistry();
    const refuse = () => false;
    registry.register(fakeBackend('onnx-ml', ['onnx'], refuse), 10);
    registry.register(fakeBackend('folders-only', ['onnx'], refuse), -1);
    registry.register(fakeBackend('plain-onnx', ['onnx'], refuse), 0);
    expect((await registry.resolve('onnx', probeBytes([enc('garbage')]))).backend.name).toBe('plain-onnx');
  });
});
