import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { findServer, Inspected, serverSettings, statusText } from "./logic";

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

test("findServer looks on PATH for a bare name and takes a path as it is", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mimi-"));
  const bin = path.join(dir, "mimi-lsp");
  fs.writeFileSync(bin, "");
  assert.equal(findServer("mimi-lsp", ["/nonexistent", dir].join(path.delimiter), "linux"), bin);
  assert.equal(findServer("mimi-lsp", "/nonexistent", "linux"), undefined);
  assert.equal(findServer(bin, "", "linux"), bin);
  assert.equal(findServer(path.join(dir, "missing"), "", "linux"), undefined);
  assert.equal(findServer("~/mimi-lsp", "", "linux", dir), bin);
  assert.equal(findServer("./mimi-lsp", "", "linux", "/nonexistent", dir), bin);
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
