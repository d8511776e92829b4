import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The dashboard's files, read once: its page, script, style and the charting library. */
export interface DashboardAssets {
  html: string;
  js: string;
  css: string;
  charts: string;
}

/**
 * Where the dashboard's static files live: beside this module when running from source, or
 * in the package's `src/server/dashboard` when running from `dist/` (tsc does not copy them).
 */
export function dashboardDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "dashboard"), resolve(here, "../../../src/server/dashboard")];
  const found = candidates.find((d) => existsSync(join(d, "index.html")));
  if (!found) throw new Error(`dashboard files not found (looked in ${candidates.join(", ")})`);
  return found;
}

/** The installed lightweight-charts standalone build (served by us: no CDN). */
export function chartsLibraryPath(): string {
  const pkg = createRequire(import.meta.url).resolve("lightweight-charts/package.json");
  return join(dirname(pkg), "dist", "lightweight-charts.standalone.production.js");
}

/** Reads the dashboard's files. */
export function loadDashboard(): DashboardAssets {
  const dir = dashboardDir();
  return {
    html: readFileSync(join(dir, "index.html"), "utf8"),
    js: readFileSync(join(dir, "app.js"), "utf8"),
    css: readFileSync(join(dir, "style.css"), "utf8"),
    charts: readFileSync(chartsLibraryPath(), "utf8"),
  };
}

/** The page a browser gets at `/` without the token: a form that posts it to `/login`. */
export function loginPage(failed = false): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tickwright: sign in</title>
<style>body{font:15px system-ui,sans-serif;margin:4rem auto;max-width:24rem}.error{color:#b00}</style></head>
<body><main><h1>tickwright</h1>
${failed ? '<p class="error">That token is not right.</p>' : "<p>This server needs its access token.</p>"}
<form method="post" action="/login"><label>Token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></main></body></html>
`;
}
