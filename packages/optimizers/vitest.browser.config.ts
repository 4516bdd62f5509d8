// The optimizers on WebGL in a real Chromium, through SwiftShader (setup shared: scripts/vitest-browser.ts).
import { browserTestConfig, WEBGL_ARGS } from '../../scripts/vitest-browser.js';

export default browserTestConfig({ chromiumArgs: WEBGL_ARGS });
