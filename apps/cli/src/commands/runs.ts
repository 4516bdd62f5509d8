/** `opt runs list | show | diff`: the chapter's "change one thing per run and keep notes". */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../cli/errors.js';
import { Output } from '../cli/output.js';
import { KNOB_BY_KEY, KNOBS, type KnobKey } from '../config/knobs.js';
import { configDiff, describeKnobs, formatKnobValue, knobsDiffering } from '../config/resolve.js';
import { findRuns } from '../run/run-dir.js';
import { openRun } from '../run/saved-run.js';
import { type RunSummary, summarize } from '../run/summary.js';
import { fixed, percent, seconds, shortDate } from '../ui/format.js';
import { table } from '../ui/table.js';

/** A path relative to the working directory when it is below it, else absolute. */
const shown = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
};

function summaryOf(path: string): RunSummary {
  const { dir } = openRun(path);
  const summary = summarize(dir);
  if (summary === null) throw new UsageError(`${path}: not a run directory (no config.json).`, 'DIR', path);
  return summary;
}

export function registerRunsCommand(program: Command): void {
  const runs = program
    .command('runs')
    .description('List, show and compare the run directories under runs/.')
    .addHelpText(
      'after',
      '\nExamples:\n  $ opt runs list\n  $ opt runs show runs/20261201-101500-defaults\n  $ opt runs diff runs/A runs/B',
    );

  runs
    .command('list')
    .description('A table of the runs under a directory (and inside compare directories), oldest first.')
    .option('--root <dir>', 'where the runs are (default runs)')
    .option('--json', 'print one JSON array on stdout')
    .addHelpText('after', '\nExamples:\n  $ opt runs list\n  $ opt runs list --root experiments/runs --json')
    .action((flags: { root?: string; json?: boolean }) => {
      const out = new Output('runs list', flags.json === true);
      const root = flags.root ?? 'runs';
      const summaries = findRuns(root)
        .map(summarize)
        .filter((s): s is RunSummary => s !== null)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      out.result(summaries.map(({ history: _h, ...s }) => s));
      if (summaries.length === 0) {
        out.line(`no runs under ${root} (opt train writes one there).`);
        return;
      }
      out.line(
        table(
          ['run', 'date', 'status', 'knobs that differ from the defaults', 'best val acc', 'test acc', 'time', 'note'],
          summaries.map((s) => [
            shown(s.path),
            shortDate(s.createdAt),
            s.state,
            describeKnobs(s.knobs as Array<{ key: KnobKey; value: unknown }>),
            s.bestValAccuracy === null ? '-' : `${percent(s.bestValAccuracy, 2)} (ep ${s.bestEpoch})`,
            percent(s.testAccuracy, 2),
            seconds(s.trainSeconds),
            s.note ?? '',
          ]),
          out.out.bold,
        ),
      );
    });

  runs
    .command('show')
    .description("A run's config, environment, history, result and advice.")
    .argument('<dir>', 'run directory')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  $ opt runs show runs/20261201-101500-defaults\n  $ opt runs show runs/20261201-101500-defaults --json',
    )
    .action((path: string, flags: { json?: boolean }) => {
      const out = new Output('runs show', flags.json === true);
      const { dir, record } = openRun(path);
      const summary = summaryOf(path);
      const result = dir.readJson('result.json');
      out.result({ record, status: dir.status(), history: summary.history, result });
      const differing = new Set(knobsDiffering(record.config).map((k) => k.key));
      out.line(`${shown(dir.path)}: ${summary.state}${summary.message !== null ? ` (${summary.message})` : ''}`);
      out.line(`created ${shortDate(record.createdAt)} by: ${record.command.join(' ')}`);
      if (record.note !== null) out.line(`note: ${record.note}`);
      const env = record.environment;
      out.line(
        `backend ${env.backend.name}, ${env.dataset.trainCount} training / ${env.dataset.validationCount} validation / ${env.dataset.testCount} test images, ${env.stepsPerEpoch} steps of ${env.batchSize} per epoch; ${Object.entries(
          env.versions,
        )
          .map(([n, v]) => `${n} ${v}`)
          .join(', ')}`,
      );
      out.line();
      out.line('knobs (* differs from the default):');
      const knobs = KNOBS.filter((k) => record.config[k.key] !== null).map((k) => [
        `${differing.has(k.key) ? '*' : ' '} ${k.key}`,
        formatKnobValue(record.config[k.key]),
      ]);
      out.line(table(['knob', 'value'], knobs, out.out.bold));
      const epochs = summary.history?.epochs ?? [];
      if (epochs.length > 0) {
        out.line();
        out.line(
          table(
            ['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr', 'time'],
            epochs.map((e) => [
              e.epoch,
              fixed(e.loss),
              fixed(e.accuracy),
              fixed(e.val_loss),
              fixed(e.val_accuracy),
              e.learning_rate.toPrecision(4),
              seconds(e.seconds),
            ]),
            out.out.bold,
          ),
        );
      }
      out.line();
      out.line(
        `best val_accuracy ${fixed(summary.bestValAccuracy)} (epoch ${summary.bestEpoch ?? '-'}), test loss ${fixed(summary.testLoss)} accuracy ${fixed(summary.testAccuracy)}, ${seconds(summary.trainSeconds)} of training`,
      );
      for (const advice of summary.history?.advice ?? [])
        out.line(`advice${advice.epoch !== null ? ` (epoch ${advice.epoch})` : ''}: ${advice.message}`);
    });

  runs
    .command('diff')
    .description('The knobs that differ between two runs, and the differences of their metrics (B - A).')
    .argument('<a>', 'run directory A')
    .argument('<b>', 'run directory B')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  $ opt runs diff runs/20261201-101500-defaults runs/20261201-103000-optimizer=sgd',
    )
    .action((pathA: string, pathB: string, flags: { json?: boolean }) => {
      const out = new Output('runs diff', flags.json === true);
      const a = summaryOf(pathA);
      const b = summaryOf(pathB);
      const knobs = configDiff(a.config, b.config);
      const metric = (name: string, x: number | null, y: number | null) => ({
        name,
        a: x,
        b: y,
        delta: x === null || y === null ? null : y - x,
      });
      const metrics = [
        metric('best val_accuracy', a.bestValAccuracy, b.bestValAccuracy),
        metric('final val_accuracy', a.finalValAccuracy, b.finalValAccuracy),
        metric('final val_loss', a.finalValLoss, b.finalValLoss),
        metric('test accuracy', a.testAccuracy, b.testAccuracy),
        metric('test loss', a.testLoss, b.testLoss),
        metric('epochs', a.epochs, b.epochs),
        metric('training seconds', a.trainSeconds, b.trainSeconds),
        metric('steps per second', a.stepsPerSecond, b.stepsPerSecond),
      ];
      out.result({ a: a.path, b: b.path, knobs, metrics });
      out.line(`A: ${shown(a.path)} (${a.state})`);
      out.line(`B: ${shown(b.path)} (${b.state})`);
      out.line();
      if (knobs.length === 0) out.line('no knob differs: the same config (differences are noise or the backend).');
      else {
        out.line(`${knobs.length} knob${knobs.length === 1 ? '' : 's'} differ${knobs.length === 1 ? 's' : ''}:`);
        out.line(
          table(
            ['knob', 'A', 'B'],
            knobs.map((k) => [
              `${k.key} (--${KNOB_BY_KEY.get(k.key)?.flag})`,
              formatKnobValue(k.a),
              formatKnobValue(k.b),
            ]),
            out.out.bold,
          ),
        );
      }
      out.line();
      const show = (m: (typeof metrics)[number], v: number | null) =>
        v === null ? '-' : m.name === 'epochs' ? String(v) : m.name.includes('seconds') ? v.toFixed(1) : fixed(v);
      out.line(
        table(
          ['metric', 'A', 'B', 'B - A'],
          metrics.map((m) => [
            m.name,
            show(m, m.a),
            show(m, m.b),
            m.delta === null ? '-' : `${m.delta >= 0 ? '+' : ''}${show(m, m.delta)}`,
          ]),
          out.out.bold,
        ),
      );
    });
}
