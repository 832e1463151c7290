// The extension's logic that does not need VS Code (tested with node --test).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// Settings that belong to the extension, not the server.
export const clientOnly = new Set(["serverPath", "enable", "grafanaUrl"]);

// One mimi.* setting as VS Code reports it (WorkspaceConfiguration.inspect).
export interface Inspected {
  key: string; // without "mimi."
  value: unknown; // the effective value
  explicit: boolean; // set by the user (globally, in the workspace or the folder)
  defaultValue: unknown;
}

// serverSettings is what the server is sent: only settings the user set (a default from
// package.json must not override the server's own environment or flags, e.g. MIMI_SECRET_FILES),
// never the extension's own; a setting sent before and unset since goes back to its default.
export function serverSettings(items: Inspected[], sentBefore: ReadonlySet<string> = new Set()): { settings: Record<string, unknown>; sent: Set<string> } {
  const settings: Record<string, unknown> = {};
  const sent = new Set<string>();
  for (const it of items) {
    if (clientOnly.has(it.key)) {
      continue;
    }
    if (it.explicit) {
      settings[it.key] = it.value;
      sent.add(it.key);
    } else if (sentBefore.has(it.key)) {
      settings[it.key] = it.defaultValue;
    }
  }
  return { settings, sent };
}

// findServer resolves mimi.serverPath: "~/" is the home directory, a relative path is taken
// from the workspace folder, a bare name is looked up on PATH. undefined when there is no such
// file.
export function findServer(setting: string, envPath = process.env.PATH ?? "", platform = process.platform, home = os.homedir(), base = ""): string | undefined {
  const exts = platform === "win32" ? ["", ".exe", ".cmd"] : [""];
  const isFile = (p: string) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (setting.startsWith("~/")) {
    setting = path.join(home, setting.slice(2));
  }
  if (setting.includes("/") || setting.includes("\\")) {
    const p = path.isAbsolute(setting) || base === "" ? setting : path.join(base, setting);
    return exts.map((e) => p + e).find(isFile);
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
  last?: { source: string; seconds: number };
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
  const last = st?.last ? `${Math.round(st.last.seconds * 1000)} ms` : "–";
  const rate = hit && hit.hits + hit.misses > 0 ? `${Math.round(hit.hitRate * 100)}%` : "–";
  return {
    text: `$(sparkle) mimi ${last}`,
    tooltip: `mimi-lsp · ${st?.model ?? "?"}\nlast suggestion ${last}${st?.last ? ` (${st.last.source})` : ""} · cache hit rate ${rate}` +
      (c ? `\n${c.shown} shown, ${c.accepted} accepted · ${c.modelCalls} model calls` : ""),
    warning: false,
  };
}
