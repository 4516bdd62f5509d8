/**
 * The directions `pnpm experiments --quick` checks: those of the chapter's claims that hold even on a small
 * subset in two epochs, read from the quick runs' directories.
 */
import { diverged, firstEpochLoss, outcome } from './findings.js';
import type { Report } from './report.js';
import { type ClaimRuns, finished, type RunView, rowRuns } from './runs.js';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

function run(claims: Report['claims'], id: number, name: string): RunView | undefined {
  const c = claims.find((x) => x.claim.id === id)?.runs as ClaimRuns | undefined;
  const r = c === undefined ? undefined : rowRuns(c, name)[0];
  return r !== undefined && finished(r) ? r : undefined;
}

/** A loss after one epoch; a diverged run (or a NaN) counts as infinitely high. */
function afterOneEpoch(r: RunView): number {
  const v = r.epochs[0]?.val_loss ?? Number.NaN;
  return diverged(r) && r.epochs.length <= 1
    ? Number.POSITIVE_INFINITY
    : Number.isFinite(v)
      ? v
      : Number.POSITIVE_INFINITY;
}

const missing = (name: string, what: string): Check => ({ name, ok: false, detail: `${what} has not finished` });

export function quickChecks(claims: Report['claims']): Check[] {
  const checks: Check[] = [];
  for (const optimizer of ['adam', 'sgd']) {
    const name = `${optimizer}: standardized inputs reach a lower loss after one epoch than raw pixels`;
    const [raw, standard] = [run(claims, 1, `${optimizer}, raw pixels`), run(claims, 1, `${optimizer}, standardized`)];
    if (raw === undefined || standard === undefined) {
      checks.push(missing(name, 'claim 1'));
      continue;
    }
    checks.push({
      name,
      ok: afterOneEpoch(standard) < afterOneEpoch(raw),
      detail: `validation loss after epoch 1: ${afterOneEpoch(standard).toPrecision(4)} standardized, ${afterOneEpoch(raw).toPrecision(4)} raw`,
    });
  }
  {
    const name = "Adam's loss falls faster than basic SGD's in the first epoch";
    const [sgd, adam] = [run(claims, 3, 'sgd'), run(claims, 3, 'adam')];
    if (sgd === undefined || adam === undefined) checks.push(missing(name, 'claim 3'));
    else {
      const end = (r: RunView) => r.history?.firstEpoch?.points.at(-1)?.loss ?? Number.NaN;
      checks.push({
        name,
        ok: firstEpochLoss(adam) < firstEpochLoss(sgd) && end(adam) < end(sgd),
        detail: `first-epoch training loss ${firstEpochLoss(adam).toPrecision(4)} (Adam) vs ${firstEpochLoss(sgd).toPrecision(4)} (SGD); at the epoch's last steps ${end(adam).toPrecision(4)} vs ${end(sgd).toPrecision(4)}`,
      });
    }
  }
  {
    const name = 'a learning rate 100 times too high (SGD at 1) diverges and is reported as such';
    const high = run(claims, 4, 'sgd 1 (100x)');
    if (high === undefined) checks.push(missing(name, 'claim 4'));
    else {
      const advised = (high.history?.advice ?? []).some((a) => a.id === 'diverged');
      checks.push({
        name,
        ok: diverged(high) && advised && outcome(high).startsWith('diverged'),
        detail: `status ${high.state}, ${advised ? 'with' : 'without'} the diverged advice; the report says "${outcome(high)}"`,
      });
    }
  }
  return checks;
}
