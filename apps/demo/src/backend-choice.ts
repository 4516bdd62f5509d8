/**
 * Choosing the backend, on the page and in the training worker alike (no DOM
 * here): `auto` (webgpu, then webgl, then wasm, then cpu, with a software GPU
 * moved behind wasm) unless a backend is asked for, through @opt/tensor's
 * useBackend, with the reason for anything auto passed over.
 */
import { type BackendReport, type BackendRequest, BackendUnavailableError, tf, useBackend } from '@opt/tensor';

export interface BackendChoice {
  readonly report: BackendReport;
  /** Why auto chose this one (what it skipped and why), shown beside the badge; null when nothing was skipped. */
  readonly reason: string | null;
  /** A problem worth an alert: the backend asked for did not load, or no GPU backend loaded at all; else null. */
  readonly notice: string | null;
}

const GPUS: readonly string[] = ['webgpu', 'webgl'];

export async function chooseBackend(request: BackendRequest, wasmPaths: string): Promise<BackendChoice> {
  tf.enableProdMode();
  if (request !== 'auto') {
    try {
      return { report: await useBackend(request, { wasmPaths }), reason: null, notice: null };
    } catch (failure) {
      const why = failure instanceof BackendUnavailableError ? `${failure.reason} ${failure.hint}` : String(failure);
      const report = await useBackend('auto', { wasmPaths });
      return {
        report,
        reason: autoReason(report),
        notice: `The ${request} backend you asked for did not load (${why}) Using ${report.backend}.`,
      };
    }
  }
  const report = await useBackend('auto', { wasmPaths });
  const reason = autoReason(report);
  // A software GPU passed over for wasm is auto doing its job; no GPU at all is worth saying loudly.
  const noGpu = !GPUS.includes(report.backend) && !report.skipped.some((s) => s.software !== undefined);
  if (!noGpu || report.skipped.length === 0) return { report, reason, notice: null };
  const skipped = report.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  return {
    report,
    reason,
    notice:
      `Neither WebGPU nor WebGL is available here, so this runs on ${report.backend}, which is slower (${skipped}). ` +
      'Turn on hardware acceleration in the browser settings, or try another browser, for a GPU backend.',
  };
}

/** "auto: skipped webgl: software renderer SwiftShader, wasm is faster here", or null when auto skipped nothing. */
function autoReason(report: BackendReport): string | null {
  if (report.skipped.length === 0) return null;
  return `auto: skipped ${report.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`;
}
