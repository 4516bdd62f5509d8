// The IndexedDB checkpoint store against a real Chromium's own IndexedDB (setup shared: scripts/vitest-browser.ts).
import { browserTestConfig } from '../../scripts/vitest-browser.js';

export default browserTestConfig();
