/** The child process of backend-probe.ts: probes the installed backends and writes the rows to fd 3. */
import { writeSync } from 'node:fs';
import { probeBackendsHere } from './backend-probe.js';

const rows = await probeBackendsHere();
writeSync(3, JSON.stringify(rows));
// A backend may hold native threads or timers: the answer is sent, so stop here.
process.exit(0);
