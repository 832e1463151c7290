import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { findServer, serverSettings, statusText } from "./logic";

test("serverSettings drops the extension's own settings and empty values", () => {
  assert.deepEqual(serverSettings({ serverPath: "x", enable: true, grafanaUrl: "u", ollamaHost: "h", redisURL: "", numPredict: 64 }), {
    ollamaHost: "h",
    numPredict: 64,
  });
});

test("findServer looks on PATH for a bare name and takes a path as it is", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mimi-"));
  const bin = path.join(dir, "mimi-lsp");
  fs.writeFileSync(bin, "");
  assert.equal(findServer("mimi-lsp", ["/nonexistent", dir].join(path.delimiter), "linux"), bin);
  assert.equal(findServer("mimi-lsp", "/nonexistent", "linux"), undefined);
  assert.equal(findServer(bin, "", "linux"), bin);
  assert.equal(findServer(path.join(dir, "missing"), "", "linux"), undefined);
});

test("statusText shows latency and hit rate, a problem as a warning, and the off state", () => {
  const st = {
    model: "qwen2.5-coder:1.5b",
    completion: { requests: 10, bySource: {}, p50Seconds: 0.0042, p95Seconds: 0.3, modelCalls: 2, shown: 8, accepted: 3, acceptRate: 0.375 },
    cache: { kinds: { completion: { hits: 3, misses: 1, hitRate: 0.75 } } },
  };
  const ok = statusText(st, true);
  assert.equal(ok.text, "$(sparkle) mimi 4 ms");
  assert.match(ok.tooltip, /qwen2\.5-coder:1\.5b/);
  assert.match(ok.tooltip, /cache hit rate 75%/);
  assert.equal(ok.warning, false);
  const bad = statusText({ problem: "Ollama is not reachable: run `ollama serve`" }, true);
  assert.equal(bad.warning, true);
  assert.match(bad.tooltip, /ollama serve/);
  assert.match(statusText(st, false).text, /circle-slash/);
});
