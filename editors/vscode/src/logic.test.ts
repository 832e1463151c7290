import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { findServer, Inspected, machineOnly, openableUrl, readSetting, serverSettings, statusText } from "./logic";

test("serverSettings sends only what the user set, never the extension's own, and resets what they unset", () => {
  const items: Inspected[] = [
    { key: "serverPath", value: "/x", explicit: true, defaultValue: "mimi-lsp" },
    { key: "enable", value: false, explicit: true, defaultValue: true },
    { key: "ollamaHost", value: "http://gpu:11434", explicit: true, defaultValue: "http://127.0.0.1:11434" },
    { key: "secretFiles", value: "", explicit: false, defaultValue: "" }, // must not clear MIMI_SECRET_FILES
    { key: "numPredict", value: 128, explicit: false, defaultValue: 128 },
  ];
  const first = serverSettings(items);
  assert.deepEqual(first.settings, { ollamaHost: "http://gpu:11434" });
  assert.deepEqual([...first.sent], ["ollamaHost"]);
  // The user removes their ollamaHost: it goes back to the default, once.
  items[2] = { ...items[2], value: "http://127.0.0.1:11434", explicit: false };
  const second = serverSettings(items, first.sent);
  assert.deepEqual(second.settings, { ollamaHost: "http://127.0.0.1:11434" });
  assert.deepEqual(serverSettings(items, second.sent).settings, {});
});

test("findServer takes an absolute path, ~/ and a bare name on PATH, and refuses a relative path", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mimi-"));
  const bin = path.join(dir, "mimi-lsp");
  fs.writeFileSync(bin, "");
  assert.deepEqual(findServer("mimi-lsp", ["/nonexistent", dir].join(path.delimiter), "linux"), { command: bin });
  assert.match(findServer("mimi-lsp", "/nonexistent", "linux").error ?? "", /mimi-lsp not found \("mimi-lsp"\)/);
  assert.deepEqual(findServer(bin, "", "linux"), { command: bin });
  assert.match(findServer(path.join(dir, "missing"), "", "linux").error ?? "", /not found/);
  assert.deepEqual(findServer("~/mimi-lsp", "", "linux", dir), { command: bin });
  assert.match(findServer("~/mimi-lsp", "", "linux", "").error ?? "", /no home directory/);
  assert.match(findServer("  ", "", "linux").error ?? "", /empty/);
});

test("findServer never resolves a relative path against the workspace or the current directory", () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), "mimi-ws-"));
  fs.mkdirSync(path.join(ws, "bin"));
  fs.writeFileSync(path.join(ws, "mimi-lsp"), "");
  fs.writeFileSync(path.join(ws, "bin", "mimi-lsp"), "");
  const cwd = process.cwd();
  process.chdir(ws); // even where the file exists relative to the current directory
  try {
    for (const rel of ["./mimi-lsp", "bin/mimi-lsp", "../mimi-lsp", "bin\\mimi-lsp"]) {
      const r = findServer(rel, "", "linux", "/nonexistent");
      assert.equal(r.command, undefined, rel);
      assert.match(r.error ?? "", /is a relative path, which is not resolved against the workspace folder/, rel);
      assert.match(r.error ?? "", /absolute path, a path starting with ~\/, or a command name on PATH/, rel);
    }
    // Relative PATH entries ("." or "bin") are skipped: a bare name is not found in the repository.
    assert.equal(findServer("mimi-lsp", [".", "bin", ""].join(path.delimiter), "linux").command, undefined);
    // Windows: drive-relative and backslash paths are relative too.
    for (const rel of ["C:mimi-lsp.exe", ".\\mimi-lsp.exe", "bin\\mimi-lsp.exe"]) {
      assert.match(findServer(rel, "", "win32", "C:\\Users\\u").error ?? "", /relative path/, rel);
    }
  } finally {
    process.chdir(cwd);
  }
});

test("readSetting takes a security-relevant setting from user settings only", () => {
  // A repository's .vscode/settings.json (or a folder's) sets them: ignored.
  for (const [key, bad] of [["serverPath", "./evil"], ["ollamaHost", "http://evil:11434"], ["redisURL", "redis://evil:6379"],
    ["secretFiles", "!*"], ["indexIgnore", "!*"], ["metricsAddr", "0.0.0.0:9464"], ["completionModel", "x:cloud"]] as const) {
    const def = key === "serverPath" ? "mimi-lsp" : "";
    const ws = readSetting(key, { defaultValue: def, workspaceValue: bad }, bad);
    assert.deepEqual(ws, { key, value: def, explicit: false, defaultValue: def, ignored: true }, key);
    const folder = readSetting(key, { defaultValue: def, workspaceFolderValue: bad }, bad);
    assert.deepEqual(folder, { key, value: def, explicit: false, defaultValue: def, ignored: true }, key);
    const lang = readSetting(key, { defaultValue: def, workspaceLanguageValue: bad }, bad);
    assert.equal(lang.value, def, key);
    assert.equal(lang.ignored, true, key);
    // The user's own value wins over the workspace's, and is sent.
    const user = readSetting(key, { defaultValue: def, globalValue: "mine", workspaceValue: bad }, bad);
    assert.deepEqual(user, { key, value: "mine", explicit: true, defaultValue: def, ignored: true }, key);
    assert.deepEqual(serverSettings([ws]).settings, {}, key);
  }
  assert.equal(readSetting("ollamaHost", undefined, undefined).explicit, false);
  // Tuning settings still come from the workspace.
  assert.deepEqual(readSetting("numPredict", { defaultValue: 128, workspaceValue: 64 }, 64), { key: "numPredict", value: 64, explicit: true, defaultValue: 128, ignored: false });
  assert.deepEqual(readSetting("temperature", { defaultValue: 0.2, workspaceFolderValue: 0 }, 0).value, 0);
  assert.equal(readSetting("debounce", { defaultValue: "0s" }, "0s").explicit, false);
});

test("openableUrl opens http and https only", () => {
  assert.equal(openableUrl("http://127.0.0.1:3001/d/mimi-lsp/mimi-lsp"), true);
  assert.equal(openableUrl("https://grafana.example/d/x"), true);
  for (const u of ["command:workbench.action.terminal.new", "file:///etc/passwd", "vscode://x", "javascript:alert(1)", "", "not a url"]) {
    assert.equal(openableUrl(u), false, u);
  }
});

// package.json: every setting that can run a binary, send code or cache entries elsewhere or
// weaken the secret and index exclusions is machine-scoped and restricted in untrusted
// workspaces; a new setting with such a name fails here until it is.
test("package.json keeps security-relevant settings out of workspace settings", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
  const props: Record<string, { scope?: string }> = pkg.contributes.configuration.properties;
  const untrusted = pkg.capabilities?.untrustedWorkspaces;
  assert.equal(untrusted?.supported, "limited");
  assert.ok(typeof untrusted?.description === "string" && untrusted.description.length > 20);
  assert.equal(pkg.capabilities?.virtualWorkspaces?.supported, false);
  const restricted = new Set<string>(untrusted.restrictedConfigurations);
  const risky = /path|host|url|uri|listen|addr|endpoint|socket|secret|token$|password|cred|auth|key$|args|env|command|exec|dir|ignore|exclude|model|namespace|scope/i;
  const machine = Object.keys(props).filter((k) => props[k].scope === "machine");
  for (const k of Object.keys(props)) {
    const key = k.replace(/^mimi\./, "");
    if (risky.test(key) || machineOnly.has(key)) {
      assert.equal(props[k].scope, "machine", `${k} must be "scope": "machine"`);
      assert.ok(restricted.has(k), `${k} must be in capabilities.untrustedWorkspaces.restrictedConfigurations`);
      assert.ok(machineOnly.has(key), `${k} must be in logic.ts machineOnly (read from user settings only)`);
    }
  }
  // The three lists are the same settings.
  assert.deepEqual([...restricted].sort(), machine.sort());
  assert.deepEqual([...machineOnly].map((k) => "mimi." + k).sort(), machine.sort());
  for (const k of ["serverPath", "ollamaHost", "redisURL", "secretFiles", "indexIgnore", "cacheSecret", "metricsAddr", "metricsToken", "metricsTargetsDir", "grafanaUrl"]) {
    assert.ok(machineOnly.has(k), k);
  }
  // Nothing else is restricted by accident (the harmless tuning stays per workspace).
  for (const k of ["temperature", "numPredict", "debounce", "maxLines", "enable", "snippetTokens", "prefixTokens"]) {
    assert.notEqual(props["mimi." + k]?.scope, "machine", k);
  }
});

test("statusText shows latency and hit rate, a problem as a warning, and the off state", () => {
  const st = {
    model: "qwen2.5-coder:1.5b",
    completion: { requests: 10, bySource: {}, p50Seconds: 0.0042, p95Seconds: 0.3, modelCalls: 2, shown: 8, accepted: 3, acceptRate: 0.375 },
    cache: { kinds: { completion: { hits: 3, misses: 1, hitRate: 0.75 } } },
  };
  const ok = statusText({ ...st, last: { source: "memory", seconds: 0.0042 } }, true);
  assert.equal(ok.text, "$(sparkle) mimi 4 ms");
  assert.match(ok.tooltip, /\(memory\)/);
  assert.match(ok.tooltip, /qwen2\.5-coder:1\.5b/);
  assert.match(ok.tooltip, /cache hit rate 75%/);
  assert.equal(ok.warning, false);
  const bad = statusText({ problem: "Ollama is not reachable: run `ollama serve`" }, true);
  assert.equal(bad.warning, true);
  assert.match(bad.tooltip, /ollama serve/);
  assert.match(statusText(st, false).text, /circle-slash/);
});
