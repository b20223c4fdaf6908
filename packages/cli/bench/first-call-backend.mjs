// A backend for the start-up benchmark: it prints when the guest's first wasi:nn call reaches the
// host, as wall-clock ms (the benchmark compares it with when it started `wacs`), and serves nothing else.
export default {
  name: 'first-call',
  encodings: ['onnx', 'ggml', 'tensorflow', 'autodetect'],
  async load() {
    process.stderr.write(`first-wasi-nn-call-at ${(performance.timeOrigin + performance.now()).toFixed(1)}\n`);
    return {
      createContext: () => ({ compute: async () => [], dispose() {} }),
      dispose() {},
    };
  },
};
