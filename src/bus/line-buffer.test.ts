import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineBuffer } from "./line-buffer.js";

describe("LineBuffer", () => {
  it("gives the lines joined by newlines, cut only at line ends into parts of at most partBytes (property, against join)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: "grapheme", maxLength: 60 }).filter((s) => !s.includes("\n")),
          {
            maxLength: 60,
          },
        ),
        fc.integer({ min: 1, max: 200 }),
        (lines, partBytes) => {
          const b = new LineBuffer(partBytes);
          for (const l of lines) b.push(l);
          const parts = b.take().map((p) => new TextDecoder().decode(p));
          expect(parts.length === 0).toBe(lines.length === 0);
          expect(parts.join("\n")).toBe(lines.join("\n"));
          // Each part is whole lines, within the limit unless it is a single line.
          let k = 0;
          for (const p of parts) {
            const n = p.split("\n").length;
            expect(p).toBe(lines.slice(k, k + n).join("\n"));
            if (n > 1) expect(new TextEncoder().encode(p).length).toBeLessThanOrEqual(partBytes);
            k += n;
          }
          expect(b.take()).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("is empty again after clear() and grows past its first buffer", () => {
    const b = new LineBuffer(1 << 20);
    b.push("dropped");
    b.clear();
    const long = "x".repeat(300_000);
    b.push(long);
    b.push("é");
    expect(b.take().map((p) => new TextDecoder().decode(p))).toEqual([`${long}\né`]);
  });
});
