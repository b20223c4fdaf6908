#!/usr/bin/env node
/** wacs-onnx-conformance <tests-dir> [--only name,name] [--guest path] [--timeout seconds]: see commands/conformance.ts. */
import { run } from './commands/conformance.js';

run(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    console.error(`wacs-onnx-conformance: ${e.message}`);
    process.exitCode = 2;
  },
);
