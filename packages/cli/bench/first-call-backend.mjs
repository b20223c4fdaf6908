// A backend for the start-up benchmark: it records when the guest's first wasi:nn call reaches
// the host (ms since the wacs process started) and serves nothing else.
export default {
  name: 'first-call',
  encodings: ['onnx', 'ggml', 'tensorflow', 'autodetect'],
  async load() {
    process.stderr.write(`first-wasi-nn-call-ms ${performance.now().toFixed(1)}\n`);
    return {
      createContext: () => ({ compute: async () => [], dispose() {} }),
      dispose() {},
    };
  },
};
