import { crc32 } from "node:zlib";
import yauzl from "yauzl";
import { InputError } from "../model/errors.js";

/** Bytes one zip entry may inflate to unless told otherwise (1 GiB). */
export const DEFAULT_MAX_ENTRY_BYTES = 1 << 30;

/** One file of a zip archive: its name and its inflated bytes, read in chunks. */
export interface ZipEntry {
  name: string;
  /** The uncompressed size the archive declares. */
  size: number;
  chunks(): AsyncIterable<Buffer>;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reads a zip archive with yauzl (stored and deflated entries, ZIP64 as .NET and Info-ZIP
 * write it) and hands each file entry to `fn`, in archive order. Before any entry is handed
 * over, every one is inflated once and checked: its declared size within `maxEntryBytes`,
 * its data exactly as long as declared (inflating stops at the first byte past it), and its
 * CRC-32. So a truncated, corrupt or bomb archive is an InputError naming the archive before
 * any of its rows is read, in memory bounded by one chunk. Returns the number of entries.
 */
export async function readZipEntries(
  path: string,
  fn: (entry: ZipEntry) => Promise<void>,
  maxEntryBytes = DEFAULT_MAX_ENTRY_BYTES,
): Promise<number> {
  const fail = (why: string): never => {
    throw new InputError(`${path}: not a readable zip file (${why})`);
  };
  let zip: yauzl.ZipFile | undefined;
  try {
    zip = await yauzl.openPromise(path, {
      autoClose: false,
      validateEntrySizes: true,
      strictFileNames: false,
    });
  } catch (err) {
    fail(messageOf(err));
  }
  const z = zip as yauzl.ZipFile;
  try {
    const files: yauzl.Entry[] = [];
    try {
      for await (const entry of z.eachEntry()) if (!entry.fileName.endsWith("/")) files.push(entry);
    } catch (err) {
      fail(messageOf(err));
    }
    const stream = async function* (entry: yauzl.Entry): AsyncIterable<Buffer> {
      try {
        for await (const chunk of await z.openReadStreamPromise(entry)) yield chunk as Buffer;
      } catch (err) {
        fail(`${entry.fileName}: ${messageOf(err)}`);
      }
    };
    for (const entry of files) {
      if (entry.isEncrypted()) fail(`${entry.fileName} is encrypted`);
      if (entry.uncompressedSize > maxEntryBytes) {
        fail(
          `${entry.fileName} inflates to ${entry.uncompressedSize} bytes, over the limit of ${maxEntryBytes} (--max-unzipped-bytes)`,
        );
      }
      let crc = 0;
      for await (const chunk of stream(entry)) crc = crc32(chunk, crc);
      if (crc >>> 0 !== entry.crc32 >>> 0) fail(`${entry.fileName} fails its CRC check`);
    }
    for (const entry of files) {
      await fn({ name: entry.fileName, size: entry.uncompressedSize, chunks: () => stream(entry) });
    }
    return files.length;
  } finally {
    z.close();
  }
}
