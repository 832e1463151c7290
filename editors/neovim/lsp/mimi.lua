-- mimi-lsp for Neovim 0.11+: the native LSP config. Copy this file to
-- ~/.config/nvim/lsp/mimi.lua (or put editors/neovim on 'runtimepath') and call
-- vim.lsp.enable('mimi') in init.lua. Settings go in init_options (see the README table);
-- override them with vim.lsp.config('mimi', { init_options = { ... } }).
--
-- On 0.12+ suggestions show as ghost text (textDocument/inlineCompletion; accept with the key
-- vim.lsp.inline_completion.get() is mapped to); on 0.11 they come as completion items.
return {
  cmd = { 'mimi-lsp' },
  filetypes = {
    'go', 'python', 'lua', 'rust', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact',
    'c', 'cpp', 'java', 'sh', 'ruby', 'php', 'zig',
  },
  root_markers = { '.git', 'go.mod', 'package.json', 'pyproject.toml', 'Cargo.toml' },
  init_options = {
    -- ollamaHost = 'http://gpu-box:11434',
    -- completionModel = 'qwen2.5-coder:7b',
  },
  on_attach = function(client, bufnr)
    if vim.lsp.inline_completion and client:supports_method('textDocument/inlineCompletion') then
      vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
    end
  end,
}
