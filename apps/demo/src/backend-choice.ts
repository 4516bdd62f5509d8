/**
 * Choosing the backend, on the page and in the training worker alike (no DOM
 * here): `auto` (webgl, then wasm, then cpu) unless a backend is asked for,
 * through @opt/tensor's useBackend, with the reason for any fallback.
 */
import { type BackendReport, type BackendRequest, BackendUnavailableError, tf, useBackend } from '@opt/tensor';

export interface BackendChoice {
  readonly report: BackendReport;
  /** Why this is not what was asked for (or not webgl), for a visible notice; null when all went as asked. */
  readonly notice: string | null;
}

export async function chooseBackend(request: BackendRequest, wasmPaths: string): Promise<BackendChoice> {
  tf.enableProdMode();
  if (request !== 'auto') {
    try {
      return { report: await useBackend(request, { wasmPaths }), notice: null };
    } catch (failure) {
      const why = failure instanceof BackendUnavailableError ? `${failure.reason} ${failure.hint}` : String(failure);
      const report = await useBackend('auto', { wasmPaths });
      return { report, notice: `The ${request} backend you asked for did not load (${why}) Using ${report.backend}.` };
    }
  }
  const report = await useBackend('auto', { wasmPaths });
  if (report.skipped.length === 0) return { report, notice: null };
  const skipped = report.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  return {
    report,
    notice:
      `WebGL is not available here, so this runs on ${report.backend}, which is slower (${skipped}). ` +
      'Turn on hardware acceleration in the browser settings, or try another browser, for WebGL.',
  };
}
