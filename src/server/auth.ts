import { createHash, timingSafeEqual } from "node:crypto";
import { isLoopbackHost } from "../config/validate.js";

/** Name of the cookie the dashboard's login form sets. */
export const TOKEN_COOKIE = "tickwright_token";

/** True when `given` equals `token`, compared in constant time (over SHA-256 digests, so lengths leak nothing). */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

/** The value of one cookie in a `Cookie` header, if present. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** True for a host name or address that only this machine can reach. */
export const isLoopback = isLoopbackHost;
