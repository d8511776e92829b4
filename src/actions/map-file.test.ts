import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/registry.js";
import { Rejects } from "../ingest/rejects.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";
import { mapFileRenames, parseMapFile } from "./map-file.js";
import { securityHistory } from "./tickers.js";

const XNYS = getCalendar("XNYS");
const MAP_FILES = join(LEAN_ROOT, "equity/usa/map_files");

function renamesOf(name: string) {
  const rejects = new Rejects();
  const rows = parseMapFile(readFileSync(join(MAP_FILES, name), "utf8"), name, rejects);
  expect(rejects.list).toEqual([]);
  return mapFileRenames(rows, XNYS);
}

describe("bad map file rows", () => {
  it("are rejected with the line and the reason, the rest kept", () => {
    const rejects = new Rejects();
    const rows = parseMapFile(
      "19980102,aol,N\n1998-01-05,aol\n20031015,,N\n19970101,aol\n20180615,twx,N\n",
      "twx.csv",
      rejects,
    );
    expect(rows).toEqual([
      { date: "1998-01-02", ticker: "AOL", exchange: "N" },
      { date: "2018-06-15", ticker: "TWX", exchange: "N" },
    ]);
    expect(rejects.list.map((r) => `${r.line}: ${r.reason}`)).toEqual([
      "2: date is not YYYYMMDD",
      "3: ticker is empty",
      "4: date is not after the row before",
    ]);
  });
});

describe.skipIf(skipWithout("../shared/data", hasSharedData()))("LEAN map files", () => {
  let repo: Repository;
  beforeEach(async () => {
    repo = await openRepository(":memory:");
  });
  afterEach(async () => {
    await repo.close();
  });

  it("resolve TWX's history to AOL before its rename on 2003-10-16", async () => {
    const renames = renamesOf("twx.csv");
    expect(renames).toEqual([
      {
        symbol: "TWX",
        date: "2003-10-16",
        kind: "rename",
        value: Number.NaN,
        factor: 1,
        reference: Number.NaN,
        previous: "AOL",
      },
    ]);
    await repo.writeActions(renames);
    const history = await securityHistory(repo, "TWX");
    expect(history.spans).toEqual([
      { ticker: "AOL", from: "0000-00-00", to: "2003-10-15" },
      { ticker: "TWX", from: "2003-10-16", to: "9999-99-99" },
    ]);
    expect((await securityHistory(repo, "AOL")).spans).toEqual([
      { ticker: "AOL", from: "0000-00-00", to: "9999-99-99" },
    ]);
  });

  it("follow a ticker that came back (QQQ, QQQQ, QQQ) and two securities trading one ticker on different dates (GOOG)", async () => {
    await repo.writeActions([...renamesOf("qqq.csv"), ...renamesOf("goog.csv"), ...renamesOf("googl.csv")]);
    expect((await securityHistory(repo, "QQQ")).spans).toEqual([
      { ticker: "QQQ", from: "0000-00-00", to: "2004-11-30" },
      { ticker: "QQQQ", from: "2004-12-01", to: "2011-03-22" },
      { ticker: "QQQ", from: "2011-03-23", to: "9999-99-99" },
    ]);
    expect((await securityHistory(repo, "GOOGL")).spans).toEqual([
      { ticker: "GOOG", from: "0000-00-00", to: "2014-04-02" },
      { ticker: "GOOGL", from: "2014-04-03", to: "9999-99-99" },
    ]);
    expect((await securityHistory(repo, "GOOG")).spans).toEqual([
      { ticker: "GOOCV", from: "0000-00-00", to: "2014-04-02" },
      { ticker: "GOOG", from: "2014-04-03", to: "9999-99-99" },
    ]);
  });
});
