-- Driven by e2e/nvim_test.go: Neovim's own LSP client starts mimi-lsp, lists the code actions at
-- the body of add(), picks "AI: Rewrite add", resolves it (codeAction/resolve, or the command
-- when the client has no resolve support) and applies the edit with Neovim's own
-- apply_workspace_edit; the buffer's text goes to $MIMI_NVIM_OUT. Neovim 0.7+.
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
    init_options = { indexing = false },
  })
  assert(client_id, 'start_client failed')
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client
  local ready = vim.wait(20000, function()
    client = vim.lsp.get_client_by_id(client_id)
    return client ~= nil and client.initialized
  end, 20)
  log('initialized ' .. tostring(ready))

  -- The cursor in add()'s body (line 10, "\treturn").
  vim.api.nvim_win_set_cursor(0, { 10, 1 })
  local params = vim.lsp.util.make_range_params()
  params.context = { diagnostics = {} }
  local results = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, 20000)
  local picked
  for _, r in pairs(results or {}) do
    if r.err then log('error ' .. vim.inspect(r.err)) end
    for _, a in ipairs(r.result or {}) do
      log('action ' .. a.title)
      if a.title == 'AI: Rewrite add' then picked = a end
    end
  end
  assert(picked, 'no "AI: Rewrite add" action')
  if picked.data and not picked.edit then
    local res = client.request_sync('codeAction/resolve', picked, 30000, bufnr)
    assert(res and not res.err, 'resolve failed: ' .. vim.inspect(res))
    vim.lsp.util.apply_workspace_edit(res.result.edit, client.offset_encoding)
    log('resolved')
  elseif picked.command then
    local res = client.request_sync('workspace/executeCommand', picked.command, 30000, bufnr)
    assert(res and not res.err, 'command failed: ' .. vim.inspect(res))
    vim.wait(5000, function()
      return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n'):find('a %+ b') ~= nil
    end, 20)
    log('commanded')
  end
  log('text ' .. table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\\n'))
  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 20)
end)
if not ok then log('lua error ' .. tostring(err)) end
out:close()
vim.cmd('qa!')
