// The server side of the benchmark, in its own process so it does not share the client's event
// loop: `node server.mjs oip <model.onnx> <name>` (OIP v2 REST, JSON tensors, onnxruntime-node) or
// `node server.mjs openai <model.gguf> <name>` (OpenAI-compatible streamed completions,
// node-llama-cpp, one thread). Prints {"url": …} on stdout once listening.
import { createServer } from 'node:http';

const [kind, modelPath, name] = process.argv.slice(2);

function json(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
  });
}

let handle;
if (kind === 'oip') {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const meta = (names, shapes) => names.map((n, i) => ({ name: n, datatype: 'FP32', shape: shapes[i] }));
  const metadata = { name, inputs: meta(session.inputNames, session.inputNames.map(() => [-1])), outputs: meta(session.outputNames, session.outputNames.map(() => [-1])) };
  handle = async (req, res) => {
    if (req.url === `/v2/models/${name}/ready`) return json(res, 200, { name, ready: true });
    if (req.url === `/v2/models/${name}`) return json(res, 200, metadata);
    if (req.url !== `/v2/models/${name}/infer`) return json(res, 404, { error: `no route ${req.url}` });
    const body = JSON.parse((await readBody(req)).toString());
    const feeds = Object.fromEntries(body.inputs.map((i) => [i.name, new ort.Tensor('float32', Float32Array.from(i.data), i.shape)]));
    const results = await session.run(feeds);
    json(res, 200, { model_name: name, outputs: session.outputNames.map((n) => ({ name: n, datatype: 'FP32', shape: results[n].dims, data: Array.from(results[n].data) })) });
  };
} else if (kind === 'openai') {
  const { getLlama, LlamaCompletion } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 512, threads: 1, sequences: 1 });
  const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
  handle = async (req, res) => {
    if (req.url === '/v1/models') return json(res, 200, { data: [{ id: name }] });
    if (req.url !== '/v1/completions') return json(res, 404, { error: { message: `no route ${req.url}` } });
    const body = JSON.parse((await readBody(req)).toString());
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let tokens = 0;
    await completion.generateCompletion(body.prompt, {
      temperature: body.temperature ?? 0.8,
      repeatPenalty: false,
      maxTokens: body.max_tokens,
      onToken: (t) => (tokens += t.length),
      onTextChunk: (text) => res.write(`data: ${JSON.stringify({ choices: [{ text, finish_reason: null }] })}\n\n`),
    });
    res.write(`data: ${JSON.stringify({ choices: [{ text: '', finish_reason: 'length' }], usage: { prompt_tokens: 0, completion_tokens: tokens } })}\n\n`);
    res.end('data: [DONE]\n\n');
  };
} else {
  console.error('usage: node server.mjs oip|openai <model> <name>');
  process.exit(2);
}

const server = createServer((req, res) => handle(req, res).catch((e) => json(res, 500, { error: e.message })));
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })));
