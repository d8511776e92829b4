import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../model/errors.js";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";
import { makeZip } from "./zip.fixture.js";
import { readZipEntries } from "./zip.js";

const dir = mkdtempSync(join(tmpdir(), "tw-zip-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CSV = "14400000,1674100,1674100,1672500,1672700,3197\n14460000,1674100,1674100,1672500,1672700,3197\n";

/** Every entry of a zip as name and text. */
async function entries(path: string, max?: number): Promise<[string, string][]> {
  const out: [string, string][] = [];
  await readZipEntries(
    path,
    async (e) => {
      const parts: Buffer[] = [];
      for await (const c of e.chunks()) parts.push(c);
      out.push([e.name, Buffer.concat(parts).toString()]);
    },
    max,
  );
  return out;
}

function tool(cmd: string): boolean {
  return spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
}

describe("readZipEntries", () => {
  it("reads stored and deflated entries", async () => {
    const path = join(dir, "two.zip");
    writeFileSync(
      path,
      makeZip([
        { name: "a.csv", data: Buffer.from("1,2\n"), method: 0 },
        { name: "b.csv", data: Buffer.from("3,4\n5,6\n") },
      ]),
    );
    expect(await entries(path)).toEqual([
      ["a.csv", "1,2\n"],
      ["b.csv", "3,4\n5,6\n"],
    ]);
  });

  it.skipIf(skipWithout("python3", tool("python3")))(
    "reads ZIP64 as .NET writes it (sizes, local header offset and disk number in the extra field) and as python's force_zip64 does",
    async () => {
      const src = join(dir, "20131007_spy_minute_trade.csv");
      writeFileSync(src, CSV);
      const net = join(dir, "net.zip");
      const script = resolve(import.meta.dirname, "testdata", "dotnet-zip64.py");
      expect(spawnSync("python3", [script, net, "20131007_spy_minute_trade.csv", src]).status).toBe(0);
      // the archive points to its ZIP64 end of central directory (the classic record's offset is 0xFFFFFFFF)
      const bytes = readFileSync(net);
      expect(bytes.readUInt32LE(bytes.length - 6)).toBe(0xffffffff);
      expect(await entries(net)).toEqual([["20131007_spy_minute_trade.csv", CSV]]);
      const py = join(dir, "py.zip");
      const code = `import zipfile,sys
with zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED) as z:
    with z.open('x.csv','w',force_zip64=True) as f: f.write(open(sys.argv[2],'rb').read())`;
      expect(spawnSync("python3", ["-c", code, py, src]).status).toBe(0);
      expect(await entries(py)).toEqual([["x.csv", CSV]]);
    },
  );

  it.skipIf(skipWithout("zip", tool("zip")))(
    "reads an archive made with zip -fz (forced ZIP64)",
    async () => {
      const src = join(dir, "fz.csv");
      writeFileSync(src, CSV);
      const path = join(dir, "fz.zip");
      expect(spawnSync("zip", ["-q", "-j", "-fz", path, src]).status).toBe(0);
      expect(await entries(path)).toEqual([["fz.csv", CSV]]);
    },
  );

  it("refuses a corrupt entry by its CRC, a truncated archive and what is not a zip, naming the archive", async () => {
    const bad = join(dir, "crc.zip");
    writeFileSync(bad, makeZip([{ name: "a.csv", data: Buffer.from("1,2\n") }], true));
    await expect(entries(bad)).rejects.toThrow(
      new InputError(`${bad}: not a readable zip file (a.csv fails its CRC check)`),
    );
    const whole = makeZip([{ name: "a.csv", data: Buffer.from("1,2\n".repeat(1000)) }]);
    const cut = join(dir, "cut.zip");
    writeFileSync(cut, whole.subarray(0, whole.length - 30));
    await expect(entries(cut)).rejects.toThrow(new RegExp(`^${cut}: not a readable zip file \\(`));
    const text = join(dir, "text.zip");
    writeFileSync(text, "hello");
    await expect(entries(text)).rejects.toThrow(InputError);
  });

  it("refuses a zip bomb by its declared size before inflating, and one that lies about its size at the lie", async () => {
    const zeros = Buffer.alloc(64 << 20);
    const bomb = join(dir, "bomb.zip");
    writeFileSync(bomb, makeZip([{ name: "bomb.csv", data: zeros }]));
    await expect(entries(bomb, 1 << 20)).rejects.toThrow(
      `${bomb}: not a readable zip file (bomb.csv inflates to 67108864 bytes, over the limit of 1048576 (--max-unzipped-bytes))`,
    );
    const liar = join(dir, "liar.zip");
    writeFileSync(liar, makeZip([{ name: "liar.csv", data: zeros, declaredSize: 1000 }]));
    await expect(entries(liar, 1 << 20)).rejects.toThrow(/liar\.csv: too many bytes in the stream/);
  });

  describe.skipIf(skipWithout("../shared/data", hasSharedData()))("LEAN sample", () => {
    it("reads a minute zip's single CSV and the daily zip, whose sizes are in a ZIP64 extra field", async () => {
      const [minute] = await entries(`${LEAN_ROOT}/equity/usa/minute/spy/20131007_trade.zip`);
      expect(minute[0]).toBe("20131007_spy_minute_trade.csv");
      expect(minute[1].split("\n")[0]).toBe("14400000,1674100,1674100,1672500,1672700,3197");
      const [daily] = await entries(`${LEAN_ROOT}/equity/usa/daily/spy.zip`);
      expect(daily[0]).toBe("spy.csv");
      expect(daily[1].split("\n")[0]).toBe("19980102 00:00,973100,975300,965300,973600,2150000");
    });
  });
});
