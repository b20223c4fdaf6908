/**
 * @wacs/backend-classic: classical ML (trees, ensembles, linear models, k-means, SVM, naive Bayes,
 * neural networks) from ONNX-ML, PMML 4.x and ml.js models, behind one tensor contract (see
 * contract.ts and the README). A demo model trainer is a separate entry: `@wacs/backend-classic/demo`.
 */
import { classicBackend } from './backend.js';

export { classicBackend };
export { classicOptions } from './options.js';
export { predictionTensors, readInputs, type ContractInputs, type Prediction } from './contract.js';
export { compilePmml, type PmmlModel } from './pmml/document.js';
export { loadMljs, mljsName, type MljsModel } from './mljs/models.js';

export default classicBackend;
