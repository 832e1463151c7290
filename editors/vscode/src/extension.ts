// mimi-lsp for VS Code: starts the mimi-lsp binary over stdio. Suggestions arrive as inline
// ghost text (textDocument/inlineCompletion, LSP 3.18) and as completion items. Settings under
// "mimi." are sent as initializationOptions and again on change
// (workspace/didChangeConfiguration with a "mimi" section).
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from "vscode-languageclient/node";

let client: LanguageClient | undefined;

// Settings that are not server options.
const clientOnly = new Set(["serverPath"]);

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

function settings(): Record<string, unknown> {
  const cfg = vscode.workspace.getConfiguration("mimi");
  return serverSettings(JSON.parse(JSON.stringify(cfg)));
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace.getConfiguration("mimi").get<string>("serverPath", "mimi-lsp");
  const serverOptions: ServerOptions = { command, args: ["serve"], transport: TransportKind.stdio };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
    initializationOptions: settings(),
    synchronize: { configurationSection: "mimi" },
  };
  client = new LanguageClient("mimi-lsp", "mimi-lsp", serverOptions, clientOptions);
  context.subscriptions.push(client);
  try {
    await client.start();
  } catch (err) {
    void vscode.window.showErrorMessage(
      `mimi-lsp could not start "${command}": ${String(err)}. Install it (make build) or set mimi.serverPath.`,
    );
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
