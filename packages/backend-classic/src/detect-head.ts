/**
 * Which models this backend takes, told from the first bytes core probed (a guest's bytes under
 * Node; every model in a page, whose models are URLs): ONNX with ai.onnx.ml nodes (see `isOnnxMl`),
 * PMML documents, and ml.js JSON by its model name or first keys. Browser-safe.
 */
import type { FormatProbe } from '@wacs/core/backend';
import { MLJS_MODELS } from './mljs/models.js';
import { isOnnxMl } from './onnx-ml/graph.js';

const MLJS_NAME = new RegExp(`"(name|modelName)"\\s*:\\s*"(${MLJS_MODELS.join('|')})"`);
/** CART trees and forests write their name last: recognise their first keys instead. */
const MLJS_START = /^\s*\{\s*("baseModel"\s*:\s*\{|"options"\s*:\s*\{\s*"gainFunction")/;

export function detectFromHead(probe: FormatProbe): boolean {
  if (probe.isDirectory) return false;
  const head = () => new TextDecoder().decode(probe.head);
  switch (probe.format) {
    case 'onnx':
      return isOnnxMl(probe.head, false);
    case 'pmml':
      return true;
    case 'xml':
      return /<PMML[\s>]/.test(head());
    case 'json':
      return MLJS_NAME.test(head()) || MLJS_START.test(head());
    default:
      return false;
  }
}
