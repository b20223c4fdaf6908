#!/usr/bin/env node
/** wacs-onnx-node-tests <tests-dir> [--only name,name] [--guest path] [--timeout seconds]: see commands/node-tests.ts. */
import { run } from './commands/node-tests.js';

run(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    console.error(`wacs-onnx-node-tests: ${e.message}`);
    process.exitCode = 2;
  },
);
