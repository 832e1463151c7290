-- mimi-lsp for Neovim 0.7 and later. Put editors/neovim on 'runtimepath' (or copy lua/mimi.lua
-- and lsp/mimi.lua into ~/.config/nvim/) and call, in init.lua:
--
--   require('mimi').setup({ init_options = { ollamaHost = 'http://gpu-box:11434' } })
--
-- 0.11+: vim.lsp.config/vim.lsp.enable with lsp/mimi.lua (0.12+ adds ghost text through
-- vim.lsp.inline_completion). 0.7–0.10: one mimi-lsp per workspace root (found by
-- root_markers), attached to every buffer of that root; completion items through omnifunc
-- (<C-x><C-o>) or nvim-cmp's LSP source. An accepted item is reported to the server
-- (mimi.accepted) so its acceptance rate can be measured; no text is sent.
local M = {}

M.defaults = {
  cmd = { 'mimi-lsp' },
  filetypes = {
    'go', 'python', 'lua', 'rust', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact',
    'c', 'cpp', 'java', 'sh', 'ruby', 'php', 'zig',
  },
  root_markers = { '.git', 'go.mod', 'package.json', 'pyproject.toml', 'Cargo.toml' },
  init_options = {},
  cmd_env = nil,
}

local ACCEPTED = 'mimi.accepted'

local function mimi_clients(bufnr)
  local out = {}
  local all = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr }) or vim.lsp.buf_get_clients(bufnr)
  for _, c in pairs(all) do
    if c.name == 'mimi' then table.insert(out, c) end
  end
  return out
end

-- CompleteDone: an accepted mimi item (omnifunc does not run an item's command) is reported.
local function on_complete_done(args)
  local item = vim.v.completed_item
  local ud = type(item) == 'table' and item.user_data
  local ci = type(ud) == 'table' and ud.nvim and ud.nvim.lsp and ud.nvim.lsp.completion_item
  local cmd = type(ci) == 'table' and ci.command
  if type(cmd) ~= 'table' or cmd.command ~= ACCEPTED then return end
  for _, c in ipairs(mimi_clients(args.buf)) do
    local params = { command = cmd.command, arguments = cmd.arguments }
    if vim.fn.has('nvim-0.11') == 1 then
      c:request('workspace/executeCommand', params, function() end, args.buf)
    else
      c.request('workspace/executeCommand', params, function() end, args.buf)
    end
  end
end

-- root_of finds the workspace root of a file: the nearest directory with a root marker, else
-- the current directory.
local function root_of(file, markers)
  local dir = vim.fn.fnamemodify(file, ':p:h')
  while true do
    for _, m in ipairs(markers) do
      if vim.loop.fs_stat(dir .. '/' .. m) then return dir end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then return vim.fn.getcwd() end
    dir = parent
  end
end

local by_root = {} -- 0.7: root → client id (0.8+ vim.lsp.start reuses by name and root)

local function attach(o, bufnr)
  if vim.bo[bufnr].buftype ~= '' then return end
  local file = vim.api.nvim_buf_get_name(bufnr)
  if file == '' then return end
  local root = root_of(file, o.root_markers)
  local config = {
    name = 'mimi', cmd = o.cmd, cmd_env = o.cmd_env, root_dir = root, init_options = o.init_options,
    on_attach = function(_, b)
      -- The LSP omnifunc (it asks every attached server), unless a plugin set its own: the
      -- filetype's built-in one (ccomplete#Complete, javascriptcomplete#CompleteJS, …) is replaced.
      local cur = vim.bo[b].omnifunc
      if cur == '' or cur:find('complete#') then vim.bo[b].omnifunc = 'v:lua.vim.lsp.omnifunc' end
    end,
  }
  if vim.lsp.start then -- 0.8+
    vim.lsp.start(config, { bufnr = bufnr })
    return
  end
  local id = by_root[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    config.on_exit = function() by_root[root] = nil end
    id = vim.lsp.start_client(config)
    by_root[root] = id
  end
  if id then vim.lsp.buf_attach_client(bufnr, id) end
end

function M.setup(user)
  local o = vim.tbl_deep_extend('force', M.defaults, user or {})
  local group = vim.api.nvim_create_augroup('mimi-lsp', { clear = true })
  vim.api.nvim_create_autocmd('CompleteDone', { group = group, callback = on_complete_done })
  if vim.lsp.config and vim.lsp.enable then -- 0.11+: lsp/mimi.lua, with these overrides
    vim.lsp.config('mimi', { cmd = o.cmd, cmd_env = o.cmd_env, filetypes = o.filetypes,
      root_markers = o.root_markers, init_options = o.init_options })
    vim.lsp.enable('mimi')
    return
  end
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = o.filetypes,
    callback = function(args) attach(o, args.buf) end,
  })
  -- Buffers already open when setup runs.
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and vim.tbl_contains(o.filetypes, vim.bo[b].filetype) then attach(o, b) end
  end
end

return M
