-- Driven by e2e/nvim_test.go: Neovim's own LSP client starts mimi-lsp, edits the buffer
-- (Neovim sends incremental didChange), asks for a completion and writes what it got to
-- $MIMI_NVIM_OUT. Works with Neovim 0.7+ (vim.lsp.start_client).
local out = assert(io.open(os.getenv('MIMI_NVIM_OUT'), 'w'))
local function log(s) out:write(s .. '\n'); out:flush() end

local ok, err = pcall(function()
  vim.cmd('edit ' .. os.getenv('MIMI_NVIM_FILE'))
  local bufnr = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = 'mimi-lsp',
    cmd = { os.getenv('MIMI_BIN') },
    root_dir = os.getenv('MIMI_NVIM_ROOT'),
    cmd_env = { OLLAMA_HOST = os.getenv('OLLAMA_HOST') },
    on_exit = function(code) log('exit ' .. tostring(code)) end,
  })
  assert(client_id, 'start_client failed')
  vim.lsp.buf_attach_client(bufnr, client_id)
  local ready = vim.wait(20000, function()
    local c = vim.lsp.get_client_by_id(client_id)
    return c ~= nil and c.initialized
  end, 20)
  log('initialized ' .. tostring(ready))

  -- Edit like a user: add a non-ASCII comment line above the return (incremental didChange).
  vim.api.nvim_buf_set_lines(bufnr, 8, 8, false, { '\t// grüße 👋' })
  -- Type the space after "return" (another incremental didChange), then ask with the cursor
  -- after it, as in insert mode (normal mode cannot sit past the last character).
  vim.api.nvim_buf_set_text(bufnr, 10, 7, 10, 7, { ' ' })
  vim.api.nvim_win_set_cursor(0, { 11, 7 })
  local params = vim.lsp.util.make_position_params()
  params.position.character = 8
  local results = vim.lsp.buf_request_sync(bufnr, 'textDocument/completion', params, 20000)
  for _, r in pairs(results or {}) do
    if r.err then log('error ' .. vim.inspect(r.err)) end
    local items = r.result and (r.result.items or r.result) or {}
    for _, it in ipairs(items) do
      log('item ' .. it.label .. '|' .. ((it.textEdit and it.textEdit.newText) or ''))
    end
  end
  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 20)
end)
if not ok then log('lua error ' .. tostring(err)) end
out:close()
vim.cmd('qa!')
