/**
 * virtbench's layering, checked by `npm run lint`. Data flows one way — CLI → scenario → plan →
 * executor → engines → rows → pure exporters — so imports only point down this list:
 *
 *   engines/shared   low-level helpers that every layer may use; imports nothing of the project's
 *   engines          the engine interface, registry, model, modeled engines, real drivers, data
 *   bench/scenario   loading and validating scenario files
 *   bench/report     the result vocabulary (results, results-file, metrics, format) ...
 *   bench/gate       regression checks on results
 *   bench/report     ... and the pure exporters, which render results and gate reports
 *   bench/run        plan, executors (in-process, pool), the one writer, sharding
 *   bench/calibrate  the model against published rows   (runs scenarios through bench/run)
 *   bench/cli        commands; nothing imports it but the programmatic API's entry
 */
const bench = (...layers) => `^bench/(${layers.join('|')})/`;
/** The part of bench/report that everything above the scenario reads; the rest are exporters. */
const RESULT_VOCABULARY = '^bench/report/(results|results-file|metrics|format)\\.ts$';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles hide which layer owns what.', from: {}, to: { circular: true } },
    {
      name: 'shared-imports-nothing',
      severity: 'error',
      comment: 'engines/shared is below every layer, so it imports nothing of the project outside itself.',
      from: { path: '^engines/shared/' },
      to: { path: '^(engines|bench|test)/', pathNot: '^engines/shared/' },
    },
    {
      name: 'engines-below-bench',
      severity: 'error',
      comment: 'Engines produce measurements; they never reach up into scenarios, runs or reports.',
      from: { path: '^engines/' },
      to: { path: '^(bench|test)/' },
    },
    {
      name: 'scenario-below-report',
      severity: 'error',
      from: { path: bench('scenario') },
      to: { path: bench('report', 'run', 'gate', 'calibrate', 'cli') },
    },
    {
      name: 'vocabulary-below-gate',
      severity: 'error',
      comment: 'What a result is does not depend on how it is checked or rendered.',
      from: { path: RESULT_VOCABULARY },
      to: { path: bench('report', 'gate', 'run', 'calibrate', 'cli'), pathNot: RESULT_VOCABULARY },
    },
    {
      name: 'gate-below-exporters',
      severity: 'error',
      comment: 'A gate evaluates results; exporters render its report, never the other way round.',
      from: { path: bench('gate') },
      to: { path: bench('report', 'run', 'calibrate', 'cli'), pathNot: RESULT_VOCABULARY },
    },
    {
      name: 'exporters-below-run',
      severity: 'error',
      comment: 'Exporters are pure functions of results and gate reports: they never run anything.',
      from: { path: bench('report') },
      to: { path: bench('run', 'calibrate', 'cli') },
    },
    { name: 'run-below-commands', severity: 'error', from: { path: bench('run') }, to: { path: bench('gate', 'calibrate', 'cli') } },
    { name: 'calibrate-below-cli', severity: 'error', from: { path: bench('calibrate') }, to: { path: bench('gate', 'cli') } },
    {
      name: 'product-never-imports-tests',
      severity: 'error',
      from: { path: '^(bench|engines)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|\\.perf|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
