/** Config files: JSON or YAML (by extension; anything else is tried as JSON, then YAML). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { UsageError } from '../cli/errors.js';

/**
 * yaml's parser, loaded when a YAML file is read: its 70-odd modules cost every other `opt` process (most read no
 * config file) about 0.04 CPU-seconds at start-up. yaml's build for Node is CommonJS, so `require` loads it in place.
 */
function parseYaml(text: string, options: { prettyErrors: boolean }): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text, options);
}

/** The parsed content of a JSON or YAML file; a clear error naming the file for anything wrong. */
export function readConfigFile(path: string, option: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new UsageError(
      `${option} ${path}: cannot read it (${why}); give a JSON or YAML file of knobs.`,
      option,
      path,
    );
  }
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.json') return JSON.parse(text);
    if (ext === '.yaml' || ext === '.yml') return parseYaml(text, { prettyErrors: true });
    try {
      return JSON.parse(text);
    } catch {
      return parseYaml(text, { prettyErrors: true });
    }
  } catch (error) {
    const first = (error as Error).message.split('\n')[0];
    throw new UsageError(
      `${option} ${path}: not valid ${ext === '.json' ? 'JSON' : 'JSON or YAML'} (${first}).`,
      option,
      path,
    );
  }
}
