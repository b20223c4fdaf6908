/** ml.js models (trained here on Iris, saved with toJSON) loaded by the classic backend: predictions equal the library's own. */
import { describe, expect, it } from 'vitest';
import { features, run } from './helpers.js';
import { iris, trainClassifiers, trainRegressors } from './mljs-train.js';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('ml.js classifiers', () => {
  const models = trainClassifiers();
  for (const [name, model] of Object.entries(models)) {
    it(`${name}: labels equal the library's predict; probabilities are a distribution that agrees`, async () => {
      const out = await run(json(model.json), [features(iris)]);
      expect(out.label).toEqual(model.predict(iris));
      expect(out.classes).toEqual([0, 1, 2]);
      out.probabilities!.forEach((p, r) => {
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        // The label is a most probable class (forest and k-NN votes may tie).
        expect(p[out.label![r] as number]).toBeCloseTo(Math.max(...p), 6);
      });
    });
  }

  it('option "classes" names the classes: labels become strings', async () => {
    const out = await run(json(models.DTClassifier!.json), [features(iris.slice(0, 2))], { classes: 'setosa|versicolor|virginica' });
    expect(out.label).toEqual(['setosa', 'setosa']);
    expect(out.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    await expect(run(json(models.DTClassifier!.json), [features(iris.slice(0, 2))], { classes: 'a|b' })).rejects.toThrow(/names 2 classes but the model has 3/);
  });
});

describe('ml.js regressors', () => {
  for (const [name, model] of Object.entries(trainRegressors())) {
    it(`${name}: value equals the library's predict (as FP32)`, async () => {
      const out = await run(json(model.json), [features(model.x)]);
      expect(out.value).toEqual(Array.from(Float32Array.from(model.predict(model.x) as number[])));
    });
  }
});
