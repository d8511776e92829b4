import type { FastifyInstance } from "fastify";
import { ConfigError } from "../model/errors.js";
import { buildServer, type ServerOptions } from "./app.js";
import { isLoopback } from "./auth.js";

/** Where to listen, on top of what the server serves. */
export interface StartOptions extends ServerOptions {
  /** Default 127.0.0.1. Anything beyond loopback requires `token`. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
}

/** A listening server. */
export interface RunningServer {
  app: FastifyInstance;
  /** `http://host:port` as bound (the real port when 0 was asked). */
  url: string;
  close(): Promise<void>;
}

/**
 * Builds the server and listens. Refuses (ConfigError) to bind beyond loopback without a
 * bearer token, so an engine is never exposed to the network unauthenticated.
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const host = opts.host ?? "127.0.0.1";
  if (!isLoopback(host) && !opts.token) {
    throw new ConfigError([
      `server.token: required when the server binds beyond loopback (server.host is ${host}); give --token or TICKWRIGHT_SERVER_TOKEN`,
    ]);
  }
  const app = buildServer(opts);
  await app.listen({ host, port: opts.port ?? 8080 });
  const address = app.server.address();
  const port = address && typeof address === "object" ? address.port : opts.port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return { app, url: `http://${shown}:${port}`, close: () => app.close() };
}
