// mimi-lsp for VS Code: starts the mimi-lsp binary over stdio. Suggestions arrive as inline
// ghost text (textDocument/inlineCompletion, LSP 3.18); completion items are the server's choice
// (off by default in an editor with ghost text). Settings under "mimi." are sent as
// initializationOptions and again on change (workspace/didChangeConfiguration, section "mimi").
//
// A status bar item shows the model, the last latency and the cache hit rate (from the
// server's mimi/stats), turns to a warning with the fix when Ollama or a model is missing, and
// opens a menu of the extension's commands.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from "vscode-languageclient/node";
import { findServer, Inspected, openableUrl, readSetting, serverSettings, Stats, statusText } from "./logic";

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel | undefined; // one log for every (re)started client
let status: vscode.StatusBarItem;
let refresh: NodeJS.Timeout | undefined;

// One mimi.* setting; a security-relevant one only from user settings (see readSetting).
function read(key: string): ReturnType<typeof readSetting> {
  const cfg = vscode.workspace.getConfiguration("mimi");
  return readSetting(key, cfg.inspect(key), cfg.get(key));
}

// The mimi.* settings as VS Code reports them.
function inspected(): Inspected[] {
  const keys = Object.keys(vscode.extensions.getExtension("mimi-lsp.mimi-lsp")?.packageJSON?.contributes?.configuration?.properties ?? {});
  return keys.map((full) => read(full.replace(/^mimi\./, "")));
}

// warnIgnored logs the security-relevant settings a workspace or folder tried to set.
function warnIgnored(): void {
  const keys = Object.keys(vscode.extensions.getExtension("mimi-lsp.mimi-lsp")?.packageJSON?.contributes?.configuration?.properties ?? {});
  for (const full of keys) {
    if (read(full.replace(/^mimi\./, "")).ignored) {
      output?.warn(`${full} in the workspace or folder settings is ignored: it is a user (or remote) setting only.`);
    }
  }
}

let sent = new Set<string>(); // settings the server was sent (an unset one goes back to its default)

function settings(): Record<string, unknown> {
  const r = serverSettings(inspected());
  sent = r.sent;
  return r.settings;
}

let last: Stats | undefined;

function enabled(): boolean {
  return vscode.workspace.getConfiguration("mimi").get<boolean>("enable", true);
}

function render(): void {
  const r = statusText(last, enabled());
  status.text = r.text;
  status.tooltip = r.tooltip;
  status.backgroundColor = r.warning ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
}

async function poll(): Promise<void> {
  if (!client?.isRunning()) {
    return;
  }
  try {
    last = await client.sendRequest<Stats>("mimi/stats");
  } catch {
    // the server is restarting: keep the last numbers
  }
  render();
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  warnIgnored();
  const v = read("serverPath").value;
  const setting = typeof v === "string" ? v : "mimi-lsp";
  const { command, error } = findServer(setting, process.env.PATH ?? "", process.platform);
  if (!command) {
    last = { problem: error };
    render();
    void vscode.window.showErrorMessage(last.problem ?? "", "Open settings").then((pick) => {
      if (pick) {
        void vscode.commands.executeCommand("workbench.action.openSettings", "mimi.serverPath");
      }
    });
    return;
  }
  const serverOptions: ServerOptions = { command, args: ["serve"], transport: TransportKind.stdio };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
    outputChannel: output,
    // Computed at each (re)start: only the settings the user set (see serverSettings).
    initializationOptions: () => settings(),
    middleware: {
      // The toggle: no request reaches the server while suggestions are off.
      provideInlineCompletionItems: (doc, pos, ctx, token, next) => (enabled() ? next(doc, pos, ctx, token) : null),
      provideCompletionItem: (doc, pos, ctx, token, next) => (enabled() ? next(doc, pos, ctx, token) : null),
    },
  };
  client = new LanguageClient("mimi-lsp", "mimi-lsp", serverOptions, clientOptions);
  try {
    await client.start();
    last = undefined;
    await poll();
  } catch (err) {
    last = { problem: `mimi-lsp could not start "${command}": ${String(err)}` };
    render();
    void vscode.window.showErrorMessage(last.problem ?? "");
  }
}

// restart replaces the client: the binary and the settings are read again.
async function restart(context: vscode.ExtensionContext): Promise<void> {
  const old = client;
  client = undefined;
  if (old) {
    try {
      await old.dispose(2000);
    } catch {
      // it was not running
    }
  }
  await startClient(context);
}

async function menu(): Promise<void> {
  const c = last?.completion;
  const rows: (vscode.QuickPickItem & { run?: () => unknown })[] = [];
  if (last?.problem) {
    rows.push({ label: "$(warning) " + last.problem });
  }
  if (c) {
    rows.push({
      label: `$(graph) ${c.requests} completions · p50 ${Math.round(c.p50Seconds * 1000)} ms · p95 ${Math.round(c.p95Seconds * 1000)} ms`,
      description: `${c.modelCalls} model calls · ${c.shown} shown · ${c.accepted} accepted`,
    });
  }
  rows.push({ label: "", kind: vscode.QuickPickItemKind.Separator });
  rows.push({ label: enabled() ? "$(circle-slash) Turn suggestions off" : "$(check) Turn suggestions on", run: () => vscode.commands.executeCommand("mimi-lsp.toggle") });
  rows.push({ label: "$(refresh) Re-index the workspace", run: () => vscode.commands.executeCommand("mimi-lsp.reindex") });
  rows.push({ label: "$(json) Show statistics", run: () => vscode.commands.executeCommand("mimi-lsp.showStats") });
  rows.push({ label: "$(dashboard) Open the Grafana dashboard", run: () => vscode.commands.executeCommand("mimi-lsp.openDashboard") });
  rows.push({ label: "$(output) Show the server log", run: () => client?.outputChannel.show() });
  rows.push({ label: "$(debug-restart) Restart the server", run: () => vscode.commands.executeCommand("mimi-lsp.restart") });
  const pick = await vscode.window.showQuickPick(rows, { title: "mimi-lsp" });
  await pick?.run?.();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("mimi-lsp", { log: true });
  context.subscriptions.push(output);
  status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  status.command = "mimi-lsp.menu";
  render();
  status.show();
  context.subscriptions.push(
    status,
    vscode.commands.registerCommand("mimi-lsp.menu", menu),
    vscode.commands.registerCommand("mimi-lsp.toggle", async () => {
      // Written where it is set, so a workspace value is not left shadowing a global one.
      const i = vscode.workspace.getConfiguration("mimi").inspect<boolean>("enable");
      const target = i?.workspaceFolderValue !== undefined ? vscode.ConfigurationTarget.WorkspaceFolder
        : i?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
      await vscode.workspace.getConfiguration("mimi").update("enable", !enabled(), target);
      render();
    }),
    vscode.commands.registerCommand("mimi-lsp.reindex", async () => {
      await client?.sendRequest("workspace/executeCommand", { command: "mimi.reindex", arguments: [] });
    }),
    vscode.commands.registerCommand("mimi-lsp.showStats", async () => {
      await poll();
      const doc = await vscode.workspace.openTextDocument({ language: "json", content: JSON.stringify(last ?? {}, null, 2) });
      await vscode.window.showTextDocument(doc);
    }),
    vscode.commands.registerCommand("mimi-lsp.openDashboard", async () => {
      const v = read("grafanaUrl").value;
      const url = typeof v === "string" ? v : "http://127.0.0.1:3001/d/mimi-lsp/mimi-lsp";
      if (!openableUrl(url)) {
        void vscode.window.showErrorMessage(`mimi.grafanaUrl "${url}" is not an http(s) URL.`);
        return;
      }
      await vscode.env.openExternal(vscode.Uri.parse(url));
    }),
    vscode.commands.registerCommand("mimi-lsp.restart", async () => {
      await restart(context);
      await poll();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration("mimi")) {
        return;
      }
      render();
      if (e.affectsConfiguration("mimi.serverPath") || e.affectsConfiguration("mimi.completionItems")) {
        await restart(context); // read at start only
        return;
      }
      if (client?.isRunning()) {
        const r = serverSettings(inspected(), sent);
        sent = r.sent;
        if (Object.keys(r.settings).length > 0) {
          await client.sendNotification("workspace/didChangeConfiguration", { settings: { mimi: r.settings } });
        }
      }
    }),
  );
  refresh = setInterval(() => void poll(), 5000);
  context.subscriptions.push({ dispose: () => refresh && clearInterval(refresh) });
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await client?.dispose(2000);
}
