/**
 * The worker thread behind `OffThreadBarReader`: opens the DuckDB file READ_ONLY (its own
 * instance: DuckDB allows it beside the process's read-write one, and it sees what was
 * committed when it opened), runs range reads of bars and copies each result into one
 * typed array per column, handed back as transferable buffers: the main thread gets
 * ready columns without decoding a row.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { type CodedBarsReply, type CodedBarsRequest, readCodedBars } from "./coded-bars.js";

const port = parentPort!;
const path = workerData as string;
let open: Promise<{ instance: DuckDBInstance; con: DuckDBConnection }> | undefined;

function connect(): Promise<{ instance: DuckDBInstance; con: DuckDBConnection }> {
  open ??= DuckDBInstance.create(path, { access_mode: "READ_ONLY" }).then(async (instance) => ({
    instance,
    con: await instance.connect(),
  }));
  return open;
}

async function read(req: CodedBarsRequest): Promise<CodedBarsReply> {
  const { con } = await connect();
  return { id: req.id, ...(await readCodedBars(con, req)) };
}

port.on("message", (msg: CodedBarsRequest | { type: "close"; id: number }) => {
  if (msg.type === "close") {
    const closing = open;
    open = undefined;
    void (async () => {
      if (closing) {
        const { instance, con } = await closing.catch(() => ({ instance: undefined, con: undefined }));
        con?.closeSync();
        instance?.closeSync();
      }
      port.postMessage({ id: msg.id, closed: true });
    })();
    return;
  }
  read(msg).then(
    (reply) => {
      const { code, time, open, high, low, close, volume, trades, vwap, flags } = reply;
      const columns = [code, time, open, high, low, close, volume, trades, vwap, flags];
      port.postMessage(
        reply,
        columns.map((c) => c.buffer as ArrayBuffer),
      );
    },
    (err: unknown) =>
      port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
