/** Decoding one file of the Node loader, wherever it came from (a local copy or a download): gunzip, parse, sha256. */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { checkDigest, type FileSpec, parseFile } from './files.js';
import { FashionMnistError, isGzip } from './idx.js';

const gunzip = promisify(gunzipCallback);

/** A Node Buffer as a Uint8Array over the same memory (no copy). */
export function toUint8(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Decompresses (when gzip), parses and verifies one file's bytes. Throws a
 * {@link FashionMnistError} naming `file` for anything wrong.
 */
export async function decodeFile(spec: FileSpec, raw: Uint8Array, file: string): Promise<Uint8Array> {
  let bytes = raw;
  if (isGzip(raw)) {
    try {
      // One output chunk of the expected size: zlib's default 16 KiB chunks inflate slower (README, Measured).
      bytes = toUint8(await gunzip(raw, { chunkSize: Math.max(spec.size, 16 * 1024) }));
    } catch (error) {
      throw new FashionMnistError(file, `corrupt gzip stream (${(error as Error).message}).`, { cause: error });
    }
  }
  parseFile(spec, bytes, file);
  checkDigest(spec, createHash('sha256').update(bytes).digest('hex'), file);
  return bytes;
}
