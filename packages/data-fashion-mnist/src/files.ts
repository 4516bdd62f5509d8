/**
 * The four files of the official release and the sha256 of their uncompressed
 * IDX content. Verifying the uncompressed bytes (not the .gz) accepts any gzip
 * wrapping of the same data, e.g. Debian's re-headered files.
 */
import {
  CLASS_NAMES,
  type FashionMnistData,
  FashionMnistError,
  type FashionMnistSplit,
  pairSplit,
  parseIdxImages,
  parseIdxLabels,
} from './idx.js';

export type FileKey = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';

export interface FileSpec {
  readonly key: FileKey;
  /** File name without `.gz`. */
  readonly name: string;
  /** sha256 (hex) of the uncompressed IDX bytes. */
  readonly sha256: string;
  /** Size in bytes of the uncompressed IDX content. */
  readonly size: number;
}

/** The official files, in the order the loaders fetch them (small label files first). */
export const FASHION_MNIST_FILES: readonly FileSpec[] = Object.freeze([
  {
    key: 'trainLabels',
    name: 'train-labels-idx1-ubyte',
    sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    size: 60008,
  },
  {
    key: 'testLabels',
    name: 't10k-labels-idx1-ubyte',
    sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
    size: 10008,
  },
  {
    key: 'testImages',
    name: 't10k-images-idx3-ubyte',
    sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    size: 7840016,
  },
  {
    key: 'trainImages',
    name: 'train-images-idx3-ubyte',
    sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    size: 47040016,
  },
] as const);

/** Where torchvision downloads the files from: this URL plus the file name (`.gz`). */
export const UPSTREAM_BASE_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/** Throws unless `actualHex` is the official sha256 of `spec`'s uncompressed content. */
export function checkDigest(spec: FileSpec, actualHex: string, file: string): void {
  if (actualHex !== spec.sha256) {
    throw new FashionMnistError(
      file,
      `checksum mismatch: the uncompressed content has sha256 ${actualHex}, but the official ${spec.name} has ${spec.sha256}. ` +
        'The file is corrupt or not the Fashion-MNIST release; delete it and get a fresh copy.',
    );
  }
}

/** Parses one uncompressed file of `spec`'s kind (images or labels). */
export function parseFile(spec: FileSpec, bytes: Uint8Array, file: string) {
  return spec.key.endsWith('Images') ? parseIdxImages(bytes, file) : parseIdxLabels(bytes, file);
}

/** Assembles the dataset from the four verified, uncompressed files. */
export function assembleDataset(files: Record<FileKey, { bytes: Uint8Array; file: string }>): FashionMnistData {
  const split = (images: FileKey, labels: FileKey): FashionMnistSplit =>
    pairSplit(
      parseIdxImages(files[images].bytes, files[images].file),
      parseIdxLabels(files[labels].bytes, files[labels].file),
      {
        images: files[images].file,
        labels: files[labels].file,
      },
    );
  return {
    train: split('trainImages', 'trainLabels'),
    test: split('testImages', 'testLabels'),
    classNames: CLASS_NAMES,
  };
}

/** Progress of a loader: one event per chunk received, and one when a file is ready. */
export interface LoadProgress {
  /** File name as requested (e.g. `train-images-idx3-ubyte.gz`). */
  readonly file: string;
  /** `download` while bytes arrive; `done` once the file is verified. */
  readonly phase: 'download' | 'done';
  /** Bytes of this file received so far (including bytes resumed from a partial download). */
  readonly loadedBytes: number;
  /** Total bytes of this file, when the server says (`Content-Length`), else `undefined`. */
  readonly totalBytes: number | undefined;
}
