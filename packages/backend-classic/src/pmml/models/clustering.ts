/** ClusteringModel (center-based, e.g. k-means): nearest cluster under the model's comparison measure. */
import { canonical } from '../fields.js';
import { arrayChild, attr, child, children, invalid, numAttr, numberArray, onlyChildren, required, requiredAttr, unsupported, type El } from '../xml.js';
import { COMMON_CHILDREN, type CompiledModel, type ModelContext } from './common.js';

const MEASURES = ['euclidean', 'squaredEuclidean', 'cityBlock', 'chebychev', 'minkowski'];
const COMPARE = { absDiff: 0, gaussSim: 1, delta: 2, equal: 3 } as const;

export function compileClustering(el: El, ctx: ModelContext): CompiledModel['evaluate'] {
  onlyChildren(el, [...COMMON_CHILDREN, 'ComparisonMeasure', 'ClusteringField', 'MissingValueWeights', 'Cluster', 'CenterFields']);
  if (ctx.kind !== 'clustering') throw unsupported(`ClusteringModel with functionName="${ctx.kind}"`);
  const modelClass = requiredAttr(el, 'modelClass');
  if (modelClass !== 'centerBased') throw unsupported(`ClusteringModel modelClass="${modelClass}"`);
  if (child(el, 'CenterFields')) throw unsupported('<CenterFields> (PMML 3 clustering)');

  const measureEl = required(el, 'ComparisonMeasure');
  const similarity = requiredAttr(measureEl, 'kind') === 'similarity';
  const measure = measureEl.children.find((c) => c.name !== 'Extension');
  if (!measure || !MEASURES.includes(measure.name)) throw unsupported(`the comparison measure <${measure?.name ?? 'none'}>`);
  const p = measure.name === 'minkowski' ? numAttr(measure, 'p-parameter')! : 2;
  const defaultCompare = attr(measureEl, 'compareFunction') ?? 'absDiff';

  const fields = children(el, 'ClusteringField')
    .filter((f) => attr(f, 'isCenterField') !== 'false')
    .map((f) => {
      onlyChildren(f, []);
      const compareName = attr(f, 'compareFunction') ?? defaultCompare;
      const compare = COMPARE[compareName as keyof typeof COMPARE];
      if (compare === undefined) throw unsupported(`compareFunction="${compareName}"`);
      const scale = numAttr(f, 'similarityScale');
      if (compare === COMPARE.gaussSim && scale === undefined) throw invalid('compareFunction="gaussSim" needs similarityScale');
      return { field: ctx.scope.lookup(requiredAttr(f, 'field')), weight: numAttr(f, 'fieldWeight', 1), compare, scale: scale ?? 1 };
    });
  const m = fields.length;
  const missingWeightsEl = child(el, 'MissingValueWeights');
  const missingWeights = missingWeightsEl ? numberArray(arrayChild(missingWeightsEl) ?? invalidArray()) : new Array<number>(m).fill(1);
  if (missingWeights.length !== m) throw invalid('MissingValueWeights must have one weight per clustering field');

  const clusterEls = children(el, 'Cluster');
  if (!clusterEls.length) throw invalid('ClusteringModel has no clusters');
  const centers = clusterEls.map((c) => {
    const array = arrayChild(c);
    if (!array) throw invalid('a Cluster needs its center as an Array');
    const center = numberArray(array);
    if (center.length !== m) throw invalid(`a Cluster center has ${center.length} values for ${m} clustering fields`);
    return Float64Array.from(center);
  });
  // Entity ids: the id attribute, else the 1-based position.
  clusterEls.forEach((c, i) => ctx.classes.index(canonical(c.attrs.id ?? String(i + 1), 'string')!));

  const x = new Float64Array(m);
  const present = new Uint8Array(m);
  const totalWeight = missingWeights.reduce((a, b) => a + b, 0);
  return (row) => {
    let presentWeight = 0;
    for (let i = 0; i < m; i++) {
      const v = row.get(fields[i]!.field);
      present[i] = v === null ? 0 : 1;
      x[i] = v === null ? 0 : Number(v);
      if (v !== null) presentWeight += missingWeights[i]!;
    }
    if (presentWeight === 0) return -1;
    const adjust = totalWeight / presentWeight;
    let best = -1;
    let bestScore = similarity ? -Infinity : Infinity;
    for (let k = 0; k < centers.length; k++) {
      const center = centers[k]!;
      let sum = 0;
      let max = 0;
      for (let i = 0; i < m; i++) {
        if (!present[i]) continue;
        const f = fields[i]!;
        const d = x[i]! - center[i]!;
        let c: number;
        switch (f.compare) {
          case COMPARE.absDiff:
            c = Math.abs(d);
            break;
          case COMPARE.gaussSim:
            c = Math.exp((-Math.LN2 * d * d) / (f.scale * f.scale));
            break;
          case COMPARE.delta:
            c = d === 0 ? 0 : 1;
            break;
          default:
            c = d === 0 ? 1 : 0;
        }
        switch (measure.name) {
          case 'euclidean':
          case 'squaredEuclidean':
            sum += f.weight * c * c;
            break;
          case 'cityBlock':
            sum += f.weight * c;
            break;
          case 'chebychev':
            max = Math.max(max, f.weight * c);
            break;
          default:
            sum += f.weight * Math.pow(c, p);
        }
      }
      let score: number;
      switch (measure.name) {
        case 'euclidean':
          score = Math.sqrt(sum * adjust);
          break;
        case 'squaredEuclidean':
        case 'cityBlock':
          score = sum * adjust;
          break;
        case 'chebychev':
          score = max;
          break;
        default:
          score = Math.pow(sum * adjust, 1 / p);
      }
      if (similarity ? score > bestScore : score < bestScore) {
        bestScore = score;
        best = k;
      }
    }
    return best;
  };
}

function invalidArray(): never {
  throw invalid('MissingValueWeights needs an Array');
}
