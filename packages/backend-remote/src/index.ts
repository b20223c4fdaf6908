/**
 * @wacs/backend-remote: a model name whose model lives on an inference server. Register it with
 * `--model big=https://host:port,backend=remote,protocol=oip|openai,remote-model=<name>`; the guest
 * only ever sees "big". protocol=oip speaks the Open Inference Protocol (KServe v2 REST) for tensor
 * models; protocol=openai speaks the OpenAI-compatible API for GGML-style text guests.
 */
import { remoteBackend } from './backend.js';

export { remoteBackend };
export { RemoteEndpoint, backoffMs } from './endpoint.js';
export { OipGraph, type OipModelMetadata } from './oip.js';
export { OpenAiGraph, OpenAiContext } from './openai.js';
export { remoteOptions, type RemoteOptions, type Protocol } from './options.js';
export { retryAfterMs, serverMessage } from './faults.js';
export { sseData } from './sse.js';

export default remoteBackend;
