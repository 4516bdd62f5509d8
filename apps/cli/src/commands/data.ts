import type { Command } from 'commander';
import { Output } from '../cli/output.js';
import { type DataSource, DEBIAN_PACKAGE, getData } from '../run/get-data.js';

const FROM: Record<DataSource, string> = {
  'data-dir': 'the --data-dir given',
  FASHION_MNIST_DIR: '$FASHION_MNIST_DIR',
  cache: 'the download cache',
  debian: `Debian's ${DEBIAN_PACKAGE}`,
  download: 'downloaded now into the cache',
  'debian-installed': `Debian's ${DEBIAN_PACKAGE}, installed now`,
};

/** `opt data get`: the dataset present and verified, from wherever it can be had; what `opt train` then reads. */
export function registerDataCommand(program: Command): void {
  const data = program.command('data').description('Get the Fashion-MNIST dataset and say where it is.');
  data
    .command('get')
    .description(
      'Find Fashion-MNIST or get it, and verify it (sha256): the --data-dir given, $FASHION_MNIST_DIR, the download ' +
        `cache, Debian's /usr/share/datasets/fashion-mnist, the download, and last, as root with apt-get, Debian's ${DEBIAN_PACKAGE} ` +
        'package (saying so first; OPT_INSTALL_PREREQUISITES=0 or --no-install forbids it).',
    )
    .option('--data-dir <dir>', 'use only this directory (no other copy, no download, no install)')
    .option('--no-download', 'never download')
    .option('--no-install', `never install Debian's ${DEBIAN_PACKAGE}`)
    .option('--json', 'print where the files are as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ opt data get && opt train\n  $ opt data get --json\n  $ OPT_INSTALL_PREREQUISITES=0 opt data get',
    )
    .action(async (options: { dataDir?: string; download: boolean; install: boolean; json?: boolean }) => {
      const out = new Output('data get', options.json === true);
      const downloading = new Set<string>();
      const got = await getData({
        dataDir: options.dataDir ?? null,
        download: options.download,
        install: options.install,
        onInstall: (line) => out.note(line),
        onProgress: (p) => {
          if (p.phase === 'download' && !downloading.has(p.file)) {
            downloading.add(p.file);
            out.note(`downloading ${p.file}...`);
          } else if (p.phase === 'done') {
            out.note(`downloaded ${p.file} (${(p.loadedBytes / 2 ** 20).toFixed(1)} MiB, sha256 verified)`);
          }
        },
      });
      out.result(got);
      out.line(
        `data: Fashion-MNIST in ${got.directory ?? 'several places'} (${FROM[got.source]}); the four files' sha256 verified`,
      );
      if (got.directory === null) for (const f of Object.values(got.files)) out.line(`  ${f.path}`);
    });
}
