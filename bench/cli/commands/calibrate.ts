import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { calibrateHost, hostProfileDir } from '../../../engines/real/measure/host-profile.js';
import { writeAtomically } from '../../../engines/shared/atomic-write.js';
import { packageRoot } from '../../../engines/shared/environment.js';
import { EXIT, usageError } from '../../../engines/shared/errors.js';
import { CALIBRATION_DIR, calibrate, summarize } from '../../calibrate/calibrate.js';
import { crossValidate, summarizeScheme } from '../../calibrate/cross-validate.js';
import { SCHEMES } from '../../calibrate/cross-validate-fit.js';
import {
  renderCrossValidation,
  renderCrossValidationCsv,
  renderCrossValidationParametersCsv,
  renderCrossValidationSummary,
} from '../../calibrate/cross-validate-report.js';
import { calibrateHostUnits, DEFAULT_FIT_DRIVERS } from '../../calibrate/host-fit.js';
import { loadPublished } from '../../calibrate/published.js';
import { renderCalibration, renderCalibrationCsv, renderCalibrationSummary } from '../../calibrate/report.js';
import { addWorkersOption, type CliContext, useColor, type WorkerFlags, workerOptions, write } from '../context.js';

export interface CalibrateFlags extends WorkerFlags {
  out: string;
  tolerance: number;
  /** Absent: 5, or 25 with --cross-validate. */
  median?: number;
  crossValidate?: boolean;
  maxFactor: number;
  quiet?: boolean;
  color?: boolean;
}

function parsePercent(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0)
      throw new InvalidArgumentError(`${name} must be a percentage of at least 0`);
    return n;
  };
}

function parseFactor(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 1)
    throw new InvalidArgumentError('--max-factor must be a number of at least 1');
  return n;
}

export function register(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const command = program
    .command('calibrate')
    .description(
      `run one scenario per published study (${CALIBRATION_DIR}) and compare the model with the published measurements`,
    )
    .option('-o, --out <dir>', 'write <dir>/calibration.csv', 'reports')
    .option(
      '-t, --tolerance <pct>',
      'largest relative error a row read or derived from a source may have',
      parsePercent('--tolerance'),
      10,
    )
    .option(
      '--median <pct>',
      'largest median relative error over those rows (default 5, or 25 out of sample with --cross-validate)',
      parsePercent('--median'),
    )
    .option(
      '--cross-validate',
      'instead: predict each study, and each benchmark of a study, from the model re-fitted without it (writes <dir>/cross-validation.csv)',
    )
    .option(
      '--max-factor <x>',
      'with --cross-validate: largest factor any row may be off by, either way',
      parseFactor,
      2,
    )
    .option(
      '--host [result]',
      "instead: fit this host's parameters from a real run's JSON (default reports/real-host.json) and save them as engine profiles",
    )
    .option(
      '--fit <drivers>',
      `with --host: comma-separated real drivers whose boot times set the host's unit costs; the others are predicted (default ${DEFAULT_FIT_DRIVERS.join(',')})`,
    )
    .option('-q, --quiet', 'print only the summary')
    .option('--color', 'force colour')
    .option('--no-color', 'no colour');
  addWorkersOption(command).action(async (flags: CalibrateFlags & { host?: string | true; fit?: string }) => {
    if (flags.host !== undefined) {
      // engines/real/measure/host-profile.ts fits engine parameters, bench/calibrate/host-fit.ts the
      // host's unit costs of start-up; see docs/calibration.md.
      const resultFile = flags.host === true ? join(flags.out, 'real-host.json') : flags.host;
      const hint =
        'run `virtbench run scenarios/real-host.yaml` first, or pass its JSON result: --host path/to/result.json';
      const calibration = await calibrateHost(resultFile).catch((error: Error) => {
        throw usageError(error.message, hint);
      });
      write(context.stdout, calibration.text);
      const fitSet = flags.fit
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const units = await calibrateHostUnits(resultFile, hostProfileDir(), fitSet).catch((error: Error) => {
        throw usageError(error.message, hint);
      });
      write(context.stdout, `\n${units.text}`);
      return;
    }
    const root = packageRoot();
    const published = await loadPublished(root);
    if (flags.crossValidate) {
      const limits = { medianPct: flags.median ?? 25, maxFactor: flags.maxFactor };
      const started = performance.now();
      const cv = await crossValidate(join(root, CALIBRATION_DIR), published);
      const seconds = (performance.now() - started) / 1000;
      const summaries = SCHEMES.map((scheme) => summarizeScheme(cv.rows, scheme, limits));
      const file = join(flags.out, 'cross-validation.csv');
      const parametersFile = join(flags.out, 'cross-validation-parameters.csv');
      await writeAtomically([
        { path: file, content: renderCrossValidationCsv(cv) },
        { path: parametersFile, content: renderCrossValidationParametersCsv(cv) },
      ]);
      const options = { color: useColor(context, flags.color), limits, seconds };
      write(
        context.stdout,
        flags.quiet
          ? renderCrossValidationSummary(summaries, cv, options)
          : renderCrossValidation(summaries, cv, options),
      );
      write(context.stdout, `wrote ${file} and ${parametersFile}`);
      if (summaries.some((s) => !s.passed)) setExit(EXIT.failed);
      return;
    }
    const run = await calibrate(join(root, CALIBRATION_DIR), published, workerOptions(flags));
    const median = flags.median ?? 5;
    const summary = summarize(run.rows, flags.tolerance);
    const file = join(flags.out, 'calibration.csv');
    await writeAtomically([{ path: file, content: renderCalibrationCsv(run.rows) }]);
    const options = {
      color: useColor(context, flags.color),
      tolerancePct: flags.tolerance,
      medianTolerancePct: median,
    };
    write(
      context.stdout,
      flags.quiet ? renderCalibrationSummary(summary, options) : renderCalibration(run.rows, summary, options),
    );
    write(context.stdout, `wrote ${file}`);
    if (summary.failing.length > 0 || summary.medianAbsErrorPct > median) setExit(EXIT.failed);
  });
}
