// The extension's logic that does not need VS Code (tested with node --test).
import * as fs from "fs";
import * as path from "path";

// Settings that belong to the extension, not the server.
export const clientOnly = new Set(["serverPath", "enable", "grafanaUrl"]);

export function serverSettings(cfg: { [key: string]: unknown }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cfg)) {
    if (clientOnly.has(key) || typeof value === "function" || value === "" || value === undefined) {
      continue;
    }
    out[key] = value;
  }
  return out;
}

// findServer resolves mimi.serverPath: a path as it is, a bare name through PATH. undefined
// when there is no such executable.
export function findServer(setting: string, envPath = process.env.PATH ?? "", platform = process.platform): string | undefined {
  const exts = platform === "win32" ? ["", ".exe", ".cmd"] : [""];
  const isFile = (p: string) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (setting.includes("/") || setting.includes("\\")) {
    return exts.map((e) => setting + e).find(isFile);
  }
  for (const dir of envPath.split(path.delimiter).filter((d) => d !== "")) {
    const hit = exts.map((e) => path.join(dir, setting + e)).find(isFile);
    if (hit) {
      return hit;
    }
  }
  return undefined;
}

export interface Stats {
  model?: string;
  problem?: string;
  completion?: {
    requests: number;
    bySource: Record<string, number>;
    p50Seconds: number;
    p95Seconds: number;
    modelCalls: number;
    shown: number;
    accepted: number;
    acceptRate: number;
  };
  cache?: { kinds?: Record<string, { hits: number; misses: number; hitRate: number }> };
}

// statusText renders the status bar item from the server's stats (exported for tests).
export function statusText(st: Stats | undefined, on: boolean): { text: string; tooltip: string; warning: boolean } {
  if (!on) {
    return { text: "$(circle-slash) mimi", tooltip: "mimi-lsp: suggestions are off (click to turn them on)", warning: false };
  }
  if (st?.problem) {
    return { text: "$(warning) mimi", tooltip: st.problem, warning: true };
  }
  const c = st?.completion;
  const hit = st?.cache?.kinds?.completion;
  const ms = c && c.requests > 0 ? `${Math.round(c.p50Seconds * 1000)} ms` : "–";
  const rate = hit && hit.hits + hit.misses > 0 ? `${Math.round(hit.hitRate * 100)}%` : "–";
  return {
    text: `$(sparkle) mimi ${ms}`,
    tooltip: `mimi-lsp · ${st?.model ?? "?"}\np50 ${ms} · cache hit rate ${rate}` +
      (c ? `\n${c.shown} shown, ${c.accepted} accepted · ${c.modelCalls} model calls` : ""),
    warning: false,
  };
}

