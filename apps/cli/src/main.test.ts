import { describe, expect, it } from 'vitest';
import { opt } from './testing/fixtures/opt.js';

describe('opt backend (a real process)', () => {
  it('reports the backend auto chose and why faster ones were skipped', async () => {
    const { code, stdout } = await opt('backend', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.requested).toBe('auto');
    expect(['tensorflow', 'wasm', 'cpu']).toContain(report.backend);
    if (report.backend !== 'tensorflow') {
      expect(report.skipped[0].backend).toBe('tensorflow');
      expect(report.skipped[0].reason.length).toBeGreaterThan(10);
    }
  });

  it('exits 2 with the reason and a fix when a backend cannot load', async () => {
    const { code, stderr } = await opt('backend', '--backend', 'webgl');
    expect(code).toBe(2);
    expect(stderr).toContain('Backend "webgl" is not available');
    expect(stderr).toContain('WebGL needs a browser');
  });

  it('rejects an unknown backend name, listing the choices', async () => {
    const { code, stderr } = await opt('backend', '--backend', 'gpu');
    expect(code).not.toBe(0);
    expect(stderr).toContain('Allowed choices are cpu, wasm, webgl, tensorflow, auto');
  });
});
