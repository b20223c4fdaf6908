// iris-classify: classifies CSV rows from stdin with a classical model (PMML, ml.js or ONNX-ML,
// served by the classic backend) and prints each row's label and class probabilities.
//
//   iris-classify <model> [--columns a,b,…] [--batch N] [--summary]
//   iris-classify --file <guest path> [same options]      (loads the model's bytes: encoding autodetect)
//
// The first line is a header when any of its cells is not a number. Feature columns: --columns
// (header names or 0-based indexes), else every column that is numeric in the first data row.
// Output: `# classes: a,b,c`, then one line per row: `<label>\t<p0> <p1> …`. With --summary, only
// the count of rows per label, the rows and the time spent in compute (`compute_ms`).
import { readFile } from '../lib/files.js';
import { args, describeError, load, loadByName, readStdin, tensor, text, values, type Graph, type Tensor } from '../lib/nn.js';

interface Options {
  model?: string;
  file?: string;
  columns?: string[];
  batch: number;
  summary: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { batch: 1000, summary: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--file') options.file = argv[++i];
    else if (a === '--columns') options.columns = (argv[++i] ?? '').split(',').map((c) => c.trim());
    else if (a === '--batch') options.batch = Math.max(1, Number(argv[++i]));
    else if (a === '--summary') options.summary = true;
    else if (!options.model) options.model = a;
    else throw new Error(`unexpected argument "${a}"`);
  }
  if (!options.model && !options.file) throw new Error('usage: iris-classify <model> | --file <path> [--columns a,b,…] [--batch N] [--summary]');
  return options;
}

/** One CSV line: commas, with double-quoted cells that may hold commas and "" escapes. */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

const isNumber = (cell: string) => cell !== '' && !Number.isNaN(Number(cell));

function outputs(result: Array<[string, Tensor]>): Map<string, Tensor> {
  return new Map(result);
}

/** Labels as text: I64 class values, or a U8 JSON array of strings. */
function labels(t: Tensor): string[] {
  if (t.ty() === 'U8') return (JSON.parse(text(t)) as Array<string | null>).map((l) => l ?? '(none)');
  return Array.from(values(t) as BigInt64Array, (v) => String(v));
}

export const run = {
  run(): void {
    try {
      const options = parseArgs(args());
      const lines = new TextDecoder().decode(readStdin()).split(/\r?\n/).filter((l) => l.trim() !== '');
      if (!lines.length) return;
      let header: string[] | undefined;
      if (csvCells(lines[0]!).some((c) => !isNumber(c))) header = csvCells(lines.shift()!);
      const first = lines.length ? csvCells(lines[0]!) : [];
      const columns = options.columns
        ? options.columns.map((c) => {
            const index = /^\d+$/.test(c) ? Number(c) : (header ?? []).indexOf(c);
            if (index < 0) throw new Error(`no column "${c}"${header ? ` (columns: ${header.join(', ')})` : ' (the input has no header)'}`);
            return index;
          })
        : first.map((c, i) => (isNumber(c) ? i : -1)).filter((i) => i >= 0);

      const graph: Graph = options.file ? load([readFile(options.file)], 'autodetect', 'cpu') : loadByName(options.model!);
      const context = graph.initExecutionContext();
      const counts = new Map<string, number>();
      let computeMs = 0;
      let printedClasses = false;
      const out: string[] = [];
      for (let start = 0; start < lines.length; start += options.batch) {
        const batch = lines.slice(start, start + options.batch);
        const features = new Float64Array(batch.length * columns.length);
        batch.forEach((line, r) => {
          const cells = csvCells(line);
          columns.forEach((c, j) => {
            const cell = cells[c] ?? '';
            features[r * columns.length + j] = cell === '' ? NaN : Number(cell);
          });
        });
        const began = performance.now();
        const result = outputs(context.compute([['features', tensor('FP64', [batch.length, columns.length], features)]]));
        computeMs += performance.now() - began;
        const label = result.get('label');
        if (!label) throw new Error(`the model gave no "label" output (outputs: ${[...result.keys()].join(', ')}); is it a classifier?`);
        const names = labels(label);
        const probabilities = result.get('probabilities');
        const p = probabilities ? (values(probabilities) as Float32Array) : undefined;
        const classCount = probabilities ? probabilities.dimensions()[1]! : 0;
        if (!printedClasses && !options.summary) {
          const classes = result.get('classes');
          if (classes) out.push(`# classes: ${(JSON.parse(text(classes)) as unknown[]).join(',')}`);
          printedClasses = true;
        }
        names.forEach((name, r) => {
          counts.set(name, (counts.get(name) ?? 0) + 1);
          if (options.summary) return;
          const row = p ? Array.from(p.subarray(r * classCount, (r + 1) * classCount), (v) => v.toFixed(4)).join(' ') : '';
          out.push(`${name}\t${row}`);
        });
        if (out.length >= 1000) console.log(out.splice(0).join('\n'));
      }
      if (options.summary) {
        for (const [name, count] of [...counts].sort()) out.push(`${name}\t${count}`);
        out.push(`rows ${lines.length}`, `compute_ms ${computeMs.toFixed(1)}`);
      }
      if (out.length) console.log(out.join('\n'));
    } catch (e) {
      console.error(describeError(e));
      throw e;
    }
  },
};
