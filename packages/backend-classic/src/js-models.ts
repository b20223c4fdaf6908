/** PMML documents and ml.js JSON as graphs evaluated in JavaScript (browser-safe: both entries load them so). */
import { NnError, toNnError, type Graph, type LoadRequest } from '@wacs/core/backend';
import { names, type JsModelOptions } from './format-options.js';
import { JsGraph } from './graph.js';
import { loadMljs } from './mljs/models.js';
import { compilePmml } from './pmml/document.js';

/** PMML and ml.js models run in JavaScript on the host's CPU. */
function checkCpu(request: LoadRequest, format: string): void {
  if (request.target === 'gpu' || request.target === 'tpu') {
    throw new NnError('unsupported-operation', `${format} models run on the CPU only; load with target cpu or auto`);
  }
}

/**
 * The model in `bytes` (sniffed by core as `format`) when it is PMML or ml.js JSON, else undefined.
 * `options` reads the request's options for the format (each format takes its own).
 */
export async function loadJsModel(
  request: LoadRequest,
  bytes: Uint8Array,
  format: string,
  options: (format: 'PMML' | 'ml.js') => JsModelOptions,
): Promise<Graph | undefined> {
  if (format !== 'pmml' && format !== 'xml' && format !== 'json') return undefined;
  const textContent = new TextDecoder().decode(bytes);
  if (format === 'pmml' || format === 'xml') {
    checkCpu(request, 'PMML');
    const model = compilePmml(textContent, names(options('PMML').features));
    return new JsGraph((inputs) => model.predict(inputs));
  }
  checkCpu(request, 'ml.js');
  let json: unknown;
  try {
    json = JSON.parse(textContent);
  } catch (e) {
    throw toNnError(e, 'invalid-encoding', 'ml.js model JSON');
  }
  const model = await loadMljs(json, names(options('ml.js').classes));
  return new JsGraph((inputs) => model.predict(inputs));
}
