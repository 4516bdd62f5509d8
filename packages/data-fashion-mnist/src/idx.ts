/**
 * The IDX format of the (Fashion-)MNIST files, read from bytes already in
 * memory. Platform-neutral: works on a `Uint8Array` in Node and the browser;
 * decompression is done by the loaders (Node's zlib, `DecompressionStream`).
 *
 * Layout (big-endian): a magic number (2051 for images, 2049 for labels), the
 * item count, for images the row and column counts, then one unsigned byte per
 * pixel or label.
 */

/** An error about one of the dataset's files: `file` names it. */
export class FashionMnistError extends Error {
  override name = 'FashionMnistError';
  /** The file (path, URL or name) the problem is in. */
  readonly file: string;
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options);
    this.file = file;
  }
}

/** The IDX magic number of an images file: 0x00000803 (unsigned bytes, three dimensions). */
export const IMAGES_MAGIC = 2051;
/** The IDX magic number of a labels file: 0x00000801 (unsigned bytes, one dimension). */
export const LABELS_MAGIC = 2049;
/** Rows of pixels per image. */
export const IMAGE_ROWS = 28;
/** Columns of pixels per image. */
export const IMAGE_COLS = 28;
/** Bytes per image: 28 * 28. */
export const IMAGE_SIZE = IMAGE_ROWS * IMAGE_COLS;
/** Classes, labelled 0 to 9 (see {@link CLASS_NAMES} for their names). */
export const NUM_CLASSES = 10;

/** Class names in the dataset's label order (label 0 is 'T-shirt/top'). */
export const CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** True when `bytes` start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return (
    (((bytes[offset] as number) << 24) |
      ((bytes[offset + 1] as number) << 16) |
      ((bytes[offset + 2] as number) << 8) |
      (bytes[offset + 3] as number)) >>>
    0
  );
}

function checkMagic(bytes: Uint8Array, file: string, want: number, what: string): void {
  if (bytes.length < 4) {
    throw new FashionMnistError(file, `is ${bytes.length} bytes long, too short for an IDX ${what} file.`);
  }
  const magic = readU32(bytes, 0);
  if (magic === want) return;
  const other = want === IMAGES_MAGIC ? LABELS_MAGIC : IMAGES_MAGIC;
  const hint =
    magic === other
      ? ` (${other} is the magic number of an IDX ${what === 'images' ? 'labels' : 'images'} file: are two file names swapped?)`
      : (bytes[0] !== 0 || bytes[1] !== 0) && !isGzip(bytes)
        ? ' (the bytes are neither gzip, which starts with 1f 8b, nor IDX, which starts with 00 00 08)'
        : '';
  throw new FashionMnistError(file, `bad magic number ${magic}, expected ${want} for IDX ${what}${hint}.`);
}

function checkLength(bytes: Uint8Array, file: string, header: number, count: number, itemSize: number): void {
  const expected = header + count * itemSize;
  if (bytes.length < expected) {
    throw new FashionMnistError(
      file,
      `truncated: the header announces ${count} items (${expected} bytes in all) but the data has ${bytes.length} bytes.`,
    );
  }
  if (bytes.length > expected) {
    throw new FashionMnistError(
      file,
      `${bytes.length - expected} bytes of trailing garbage after the ${count} items the header announces (${expected} bytes expected).`,
    );
  }
}

function refuseGzip(bytes: Uint8Array, file: string): void {
  if (isGzip(bytes)) {
    throw new FashionMnistError(file, 'is still gzip-compressed; decompress it before parsing (the loaders do).');
  }
}

/** Images parsed from an IDX images file. */
export interface IdxImages {
  /** `count * rows * cols` bytes, row-major. A view into the input bytes (no copy). */
  readonly images: Uint8Array;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Parses an uncompressed IDX images file (magic 2051) and checks that its
 * images are 28x28 and that its length is exactly what the header announces.
 * `file` names the file in errors.
 */
export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  refuseGzip(bytes, file);
  checkMagic(bytes, file, IMAGES_MAGIC, 'images');
  if (bytes.length < 16) throw new FashionMnistError(file, `truncated header: ${bytes.length} of 16 bytes.`);
  const count = readU32(bytes, 4);
  const rows = readU32(bytes, 8);
  const cols = readU32(bytes, 12);
  if (rows !== IMAGE_ROWS || cols !== IMAGE_COLS) {
    throw new FashionMnistError(file, `images are ${rows}x${cols}, expected ${IMAGE_ROWS}x${IMAGE_COLS}.`);
  }
  checkLength(bytes, file, 16, count, rows * cols);
  return { images: bytes.subarray(16), count, rows, cols };
}

/**
 * Parses an uncompressed IDX labels file (magic 2049) and checks its length and
 * that every label is a class index 0..9.
 */
export function parseIdxLabels(bytes: Uint8Array, file: string): { labels: Uint8Array; count: number } {
  refuseGzip(bytes, file);
  checkMagic(bytes, file, LABELS_MAGIC, 'labels');
  if (bytes.length < 8) throw new FashionMnistError(file, `truncated header: ${bytes.length} of 8 bytes.`);
  const count = readU32(bytes, 4);
  checkLength(bytes, file, 8, count, 1);
  const labels = bytes.subarray(8);
  for (let i = 0; i < labels.length; i++) {
    if ((labels[i] as number) >= NUM_CLASSES) {
      throw new FashionMnistError(file, `label ${labels[i]} at index ${i} is not a class index 0..${NUM_CLASSES - 1}.`);
    }
  }
  return { labels, count };
}

/** One split of the dataset: `count` images of 784 bytes each (row-major) and their labels. */
export interface FashionMnistSplit {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/** The whole dataset, as the loaders return it. */
export interface FashionMnistData {
  readonly train: FashionMnistSplit;
  readonly test: FashionMnistSplit;
  readonly classNames: readonly string[];
}

/** Pairs parsed images and labels, checking that their counts agree. */
export function pairSplit(
  images: IdxImages,
  labels: { labels: Uint8Array; count: number },
  files: { images: string; labels: string },
): FashionMnistSplit {
  if (images.count !== labels.count) {
    throw new FashionMnistError(
      files.images,
      `holds ${images.count} images but ${files.labels} holds ${labels.count} labels; the two files must come from the same split.`,
    );
  }
  return { images: images.images, labels: labels.labels, count: images.count };
}
