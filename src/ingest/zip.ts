import { crc32, inflateRawSync } from "node:zlib";
import { InputError } from "../model/errors.js";

/** One file inside a zip archive. */
export interface ZipEntry {
  name: string;
  data: Buffer;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

/** The data of the ZIP64 extended information extra field (id 0x0001), if present. */
function zip64Extra(extra: Buffer): Buffer | null {
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (id === 0x0001) return extra.subarray(p + 4, p + 4 + len);
    p += 4 + len;
  }
  return null;
}

/**
 * Reads every file of a zip archive (stored or deflated, ZIP64 sizes included; no encryption, no multi-disk), checking
 * each one's CRC-32. Enough for LEAN's data zips, which hold one CSV each. Anything else is
 * an InputError naming the archive.
 */
export function readZip(zip: Buffer, name = "zip"): ZipEntry[] {
  const fail = (why: string): never => {
    throw new InputError(`${name}: not a readable zip file (${why})`);
  };
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail("no end of central directory");
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL) fail("bad central directory");
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    let packed = zip.readUInt32LE(at + 20);
    let size = zip.readUInt32LE(at + 24);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    let local = zip.readUInt32LE(at + 42);
    const entryName = zip.toString("utf8", at + 46, at + 46 + nameLen);
    const extra = zip.subarray(at + 46 + nameLen, at + 46 + nameLen + extraLen);
    at += 46 + nameLen + extraLen + commentLen;
    if (entryName.endsWith("/")) continue;
    if (size === MAX32 || packed === MAX32 || local === MAX32) {
      // ZIP64: the fields saturated above come, in this order, from the 0x0001 extra field
      const z64 = zip64Extra(extra);
      if (!z64) fail(`${entryName} lacks its ZIP64 sizes`);
      let k = 0;
      const next = () =>
        z64 && k + 8 <= z64.length ? Number(z64.readBigUInt64LE((k += 8) - 8)) : fail("short ZIP64 field");
      if (size === MAX32) size = next();
      if (packed === MAX32) packed = next();
      if (local === MAX32) local = next();
    }
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== LOCAL)
      fail(`bad local header of ${entryName}`);
    if (zip.readUInt16LE(local + 6) & 1) fail(`${entryName} is encrypted`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const body = zip.subarray(start, start + packed);
    if (body.length !== packed) fail(`${entryName} is truncated`);
    let data: Buffer;
    if (method === 0) data = Buffer.from(body);
    else if (method === 8) {
      try {
        data = inflateRawSync(body);
      } catch (err) {
        return fail(`${entryName}: ${(err as Error).message}`);
      }
    } else return fail(`${entryName} uses compression method ${method}`);
    if (data.length !== size || crc32(data) >>> 0 !== crc) fail(`${entryName} fails its CRC check`);
    entries.push({ name: entryName, data });
  }
  return entries;
}
