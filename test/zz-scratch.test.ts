import { it } from 'vitest';
import { crossValidate, summarizeScheme } from '../bench/calibrate/cross-validate.ts';
import { loadPublished } from '../bench/calibrate/published.ts';

it('scratch', async () => {
  const t = performance.now();
  const published = await loadPublished('/work/wt-mxval');
  const cv = await crossValidate('/work/wt-mxval/scenarios/calibration', published);
  console.log('seconds', (performance.now() - t) / 1000, 'params', cv.parameters);
  for (const r of cv.rows)
    console.log(
      r.id.padEnd(30),
      r.published,
      r.inSample?.toPrecision(4),
      r.outOfSample.study.model?.toPrecision(4),
      r.outOfSample.study.errorPct?.toFixed(1),
      r.outOfSample.benchmark.model?.toPrecision(4),
      r.outOfSample.benchmark.errorPct?.toFixed(1),
      r.outOfSample.benchmark.inSample ?? '',
    );
  for (const s of ['study', 'benchmark'] as const)
    console.log(summarizeScheme(cv.rows, s, { medianPct: 25, maxFactor: 2 }));
  for (const f of cv.folds.benchmark.slice(0, 40))
    console.log(
      f.heldOut,
      JSON.stringify({
        re: f.refitted.map((p) => [p.id, p.published, +p.fitted.toPrecision(4), p.rows.length]),
        fb: f.fellBack.map((p) => [p.id, p.fitted, p.prior]),
        k: f.kept.map((k) => k.id),
      }),
    );
}, 600000);
