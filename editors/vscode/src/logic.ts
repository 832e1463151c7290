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
  explicit: boolean; // set by the user (globally, in the workspace or the folder; a machineOnly one globally)
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

// Settings a repository must not choose: the binary that runs, where code and cache entries go
// (Ollama host and models, since an Ollama cloud model runs off the machine; Redis and its key
// space; the sidecar's address, token and targets directory; the dashboard URL) and which files
// are kept from the model (secretFiles, whose "!" rules allow what the denylist denies;
// indexIgnore, whose "!" rules re-include ignored files). package.json makes each one
// "scope": "machine" and lists it in restrictedConfigurations, so VS Code already ignores a
// workspace or folder value; readSetting ignores one too, in case VS Code ever reports it.
export const machineOnly: ReadonlySet<string> = new Set([
  "serverPath",
  "grafanaUrl",
  "ollamaHost",
  "completionModel",
  "actionModel",
  "embedModel",
  "redisURL",
  "redisNamespace",
  "cacheScope",
  "cacheSecret",
  "secretFiles",
  "indexIgnore",
  "metricsAddr",
  "metricsTargetsDir",
  "metricsToken",
]);

// The part of WorkspaceConfiguration.inspect's answer readSetting uses.
export interface Inspection {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
  workspaceLanguageValue?: unknown;
  workspaceFolderLanguageValue?: unknown;
}

// readSetting is one mimi.* setting from inspect() and get() (effective). A machineOnly setting
// is the user's (global) value or the default, whatever the workspace or folder says; ignored
// tells that a workspace or folder value was dropped. Any other setting is the effective value.
export function readSetting(key: string, i: Inspection | undefined, effective: unknown): Inspected & { ignored: boolean } {
  const fromWorkspace = i?.workspaceValue !== undefined || i?.workspaceFolderValue !== undefined ||
    i?.workspaceLanguageValue !== undefined || i?.workspaceFolderLanguageValue !== undefined;
  if (machineOnly.has(key)) {
    const explicit = i?.globalValue !== undefined;
    return { key, value: explicit ? i?.globalValue : i?.defaultValue, explicit, defaultValue: i?.defaultValue, ignored: fromWorkspace };
  }
  const explicit = i?.globalValue !== undefined || i?.workspaceValue !== undefined || i?.workspaceFolderValue !== undefined;
  return { key, value: effective, explicit, defaultValue: i?.defaultValue, ignored: false };
}

// findServer resolves mimi.serverPath: an absolute path, "~/" for the home directory, or a bare
// command name looked up on PATH (absolute PATH entries only). Any other path (relative, with a
// slash) is an error: it is never resolved against the workspace folder, so that opening a
// repository cannot run a binary from it. error says what to fix when there is no command.
export function findServer(setting: string, envPath = process.env.PATH ?? "", platform: string = process.platform, home = os.homedir()): { command?: string; error?: string } {
  const win = platform === "win32";
  const p = win ? path.win32 : path.posix;
  const exts = win ? ["", ".exe", ".cmd"] : [""];
  const isFile = (f: string) => {
    try {
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  };
  const notFound = `mimi-lsp not found ("${setting}"): build it (make build) or install it (go install ./cmd/mimi-lsp), then put it on PATH or set mimi.serverPath in your user settings.`;
  let file = setting.trim();
  if (file === "") {
    return { error: "mimi.serverPath is empty: set an absolute path, a path starting with ~/, or a command name on PATH (mimi-lsp)." };
  }
  if (file.startsWith("~/") || (win && file.startsWith("~\\"))) {
    if (home === "" || !p.isAbsolute(home)) {
      return { error: `mimi.serverPath "${setting}" starts with ~/ but there is no home directory: set an absolute path.` };
    }
    file = p.join(home, file.slice(2));
  }
  if (p.isAbsolute(file)) {
    const hit = exts.map((e) => file + e).find(isFile);
    return hit ? { command: hit } : { error: notFound };
  }
  if (file.includes("/") || file.includes("\\") || (win && file.includes(":"))) {
    return {
      error: `mimi.serverPath "${setting}" is a relative path, which is not resolved against the workspace folder (a repository could otherwise make VS Code run its own binary): ` +
        "set an absolute path, a path starting with ~/, or a command name on PATH, in your user settings.",
    };
  }
  for (const dir of envPath.split(win ? ";" : ":").filter((d) => p.isAbsolute(d))) {
    const hit = exts.map((e) => p.join(dir, file + e)).find(isFile);
    if (hit) {
      return { command: hit };
    }
  }
  return { error: notFound };
}

// openableUrl reports whether mimi.grafanaUrl may be opened: http and https only (never
// command:, file: or another app's scheme).
export function openableUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
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
