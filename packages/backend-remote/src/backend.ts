/** The backend object wacs binds: a model name whose model lives on an inference server. */
import { NnError, type Backend, type FormatProbe, type Graph, type LoadRequest, type Options } from '@wacs/core/backend';
import { RemoteEndpoint } from './endpoint.js';
import { isRemoteModelFile, readRemoteModelFile } from './model-file.js';
import { OipGraph } from './oip.js';
import { OpenAiGraph } from './openai.js';
import { CONNECTION_OPTIONS, parseRemoteOptions, remoteOptions } from './options.js';

/** Whether a registered path is a server address rather than a file. */
function isServerUrl(path: string | undefined): path is string {
  return path !== undefined && /^https?:\/\//i.test(path);
}

/** The server address and graph options: from the registered URL, or from a remote model file. */
async function target(request: LoadRequest): Promise<{ url: string; options: Options }> {
  if (request.source.kind === 'path' && isServerUrl(request.source.path)) return { url: request.source.path, options: request.options };
  if (request.source.kind === 'path') {
    const file = await readRemoteModelFile(request.source.path);
    return { url: file.url, options: { ...file.options, ...request.options } };
  }
  throw new NnError(
    'unsupported-operation',
    'the remote backend serves models on a server, by name: register one with --model NAME=https://host:port,backend=remote,protocol=oip|openai,remote-model=…',
  );
}

/**
 * Where a model lives and how it is reached belong to the host: a guest's load_by_name_with_config
 * may not set them (it could pick which host variable's secret is sent).
 */
function refuseGuestConnectionOptions(request: LoadRequest): void {
  const keys = Object.keys(request.guestOptions ?? {}).filter((key) => key in CONNECTION_OPTIONS);
  if (keys.length) {
    throw new NnError('security', `load_by_name_with_config: a guest cannot set ${keys.map((k) => `"${k}"`).join(', ')}; the host's --model spec decides where a remote model lives and how it is reached`);
  }
}

async function load(request: LoadRequest): Promise<Graph> {
  refuseGuestConnectionOptions(request);
  const { url, options: graphOptions } = await target(request);
  const { remote, generation } = parseRemoteOptions(graphOptions, request.guestOptions, request.name);
  const endpoint = new RemoteEndpoint(url, remote);
  if (remote.protocol === 'oip') {
    try {
      return await OipGraph.load(endpoint, remote.remoteModel);
    } catch (e) {
      endpoint.dispose();
      throw e;
    }
  }
  return OpenAiGraph.load(endpoint, remote.remoteModel, generation);
}

export const remoteBackend: Backend = {
  name: 'remote',
  encodings: ['autodetect'],
  options: remoteOptions,
  /** Claims server addresses (core's probe of a URL has format "url") and remote model files. */
  detect(probe: FormatProbe): boolean {
    return (probe.format === 'url' && isServerUrl(probe.path)) || isRemoteModelFile(probe);
  },
  load,
  async hardware() {
    return [{ name: 'server', available: true, active: true, detail: 'runs wherever the server registered with --model runs it' }];
  },
};
