// `pnpm bench`: runs every package's benchmark (bench/run.mjs, one at a time so they do not share
// the CPU) and gathers their markdown sections into BENCHMARKS.md.
//   pnpm bench core cli      only those packages (BENCHMARKS.md is left as it is)
//   pnpm bench --collect     no runs: gathers each package's last bench/results.md into BENCHMARKS.md
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { commit } from './bench-lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const collectOnly = process.argv.includes('--collect');
const only = process.argv.slice(2).filter((a) => a !== '--collect');
const sections = [];

/** A section from before results carried their commit: say which commit last wrote its figures, and when. */
function withProvenance(text, path) {
  if (/at commit /.test(text)) return text;
  let last = '';
  try {
    last = execFileSync('git', ['log', '-1', '--format=%cs %h', '--', path], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  const [date, hash] = last.split(' ');
  const stamp = hash ? `_Figures not remeasured since they were committed on ${date} at commit ${hash}._` : '_Figures of unknown date (not committed)._';
  return text.replace(/^(## .*\n)/, `$1\n${stamp}\n`);
}
for (const name of readdirSync(join(root, 'packages')).sort()) {
  const script = join(root, 'packages', name, 'bench/run.mjs');
  if (!existsSync(script) || (only.length && !only.includes(name))) continue;
  const results = join(root, 'packages', name, 'bench/results.md');
  if (!collectOnly) {
    console.log(`== ${name}`);
    const r = spawnSync(process.execPath, [script], { cwd: join(root, 'packages', name), stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`${name}: benchmark failed (exit ${r.status})`);
      continue;
    }
    // Every section says when and from which commit its figures come (a --collect keeps the stamp).
    const text = readFileSync(results, 'utf8');
    if (!/at commit /.test(text)) {
      const stamp = `_Figures measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC at commit ${commit()}._`;
      writeFileSync(results, text.replace(/^(## .*\n)/, `$1\n${stamp}\n`));
    }
  }
  if (existsSync(results)) sections.push(withProvenance(readFileSync(results, 'utf8').trim(), results));
}
if (only.length === 0) {
  const header = [
    '# wacs benchmarks',
    '',
    `Gathered by \`pnpm bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model.trim()}. Each section says how to rerun it, when and at which commit its figures were measured, and the machine's load then.`,
    'Every figure is a ratio or difference against the engine called directly in the same run (medians over interleaved rounds, p25–p75 in brackets where given).',
    '',
  ];
  writeFileSync(join(root, 'BENCHMARKS.md'), `${header.join('\n')}\n${sections.join('\n\n')}\n`);
  console.log('wrote BENCHMARKS.md');
}
