/** detect(): the backend accepts its own model and refuses other formats and garbage. */
import { probeBytes, type FormatProbe } from '@wacs/core/backend';
import { probePath } from '@wacs/core/backend/node';
import { join } from 'node:path';
import { describeError, fail } from '../errors.js';
import { foreignProbes } from '../samples.js';
import { skip, type CheckGroup, type Run } from './harness.js';

async function ownProbes(run: Run): Promise<Array<{ label: string; probe: FormatProbe }>> {
  const probes: Array<{ label: string; probe: FormatProbe }> = [];
  if (run.model.bytes) probes.push({ label: 'its bytes', probe: probeBytes(run.model.bytes) });
  if (run.model.path !== undefined) probes.push({ label: `its path ${run.model.path}`, probe: await probePath(run.model.path) });
  return probes;
}

export const detectChecks = {
  async 'detect-own'(run) {
    const { detect } = run.backend;
    if (!detect) skip('detect() is optional; without it the registry offers this backend every model of its encodings');
    const accepted: string[] = [];
    for (const { label, probe } of await ownProbes(run)) {
      const answer = await detect.call(run.backend, probe);
      if (answer !== true) fail(`detect() returned ${String(answer)} for ${label} (core sniffed the format as "${probe.format}"); it must return true for its own model`);
      accepted.push(label);
    }
    return `accepted ${accepted.join(' and ')}`;
  },

  async 'detect-foreign'(run) {
    const { detect } = run.backend;
    if (!detect) skip('detect() is optional; without it the registry offers this backend every model of its encodings');
    // A sample of a format core sniffs the same as the backend's own model may rightly be taken.
    const own = new Set([...(await ownProbes(run)).map((p) => p.probe.format ?? 'unknown'), ...(run.fixtures.foreign?.exclude ?? [])]);
    own.delete('unknown');
    const extra = run.fixtures.foreign?.extra ?? [];
    const samples = await foreignProbes(join(run.scratch, 'foreign'), extra);
    const builtinCount = samples.length - extra.reduce((n, s) => n + (s.bytes ? 1 : 0) + (s.path ? 1 : 0), 0);
    const claimed: string[] = [];
    const excluded: string[] = [];
    let refused = 0;
    for (const [i, { label, probe }] of samples.entries()) {
      if (i < builtinCount && own.has(probe.format ?? 'unknown')) {
        excluded.push(label);
        continue;
      }
      try {
        const answer = await detect.call(run.backend, probe);
        if (answer === false) refused++;
        else claimed.push(`${label}: returned ${String(answer)}`);
      } catch (e) {
        claimed.push(`${label}: threw ${describeError(e)} (return false instead: a throw stops the registry from trying other backends)`);
      }
    }
    if (claimed.length) fail(`detect() must return false for models that are not its own: ${claimed.join('; ')}`);
    return `refused ${refused} foreign model(s)${excluded.length ? `; not asked (same sniffed format as its own model): ${excluded.join(', ')}` : ''}`;
  },
} satisfies CheckGroup;
