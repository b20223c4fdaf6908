#!/usr/bin/env node
import { main } from './main.js';

// `wacs … | head` closes stdout early: stop quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

// Exit now: a backend may still hold timers or native work for a guest that is gone (--timeout).
process.exit(await main(process.argv.slice(2)));
