-- Driven by e2e/nvim_test.go: loads the shipped editors/neovim config (require('mimi').setup),
-- opens two files of one workspace (one mimi-lsp for both), then types like a user: appends a
-- space after "return", asks omnifunc (<C-x><C-o>), accepts the suggestion (<C-y>), and checks
-- the accept reached the server (mimi/stats). Steps run on timers so Neovim's main loop handles
-- the keys, the popup menu and the LSP replies as it does for a user.
local out = assert(io.open(os.getenv('MIMI_NVIM_OUT'), 'w'))
local function log(s) out:write(s .. '\n'); out:flush() end
local function finish()
  out:close()
  vim.cmd('qa!')
end
local function fail(msg) log('lua error ' .. msg); finish() end

vim.opt.runtimepath:append(os.getenv('MIMI_NVIM_RTP'))
-- The 0.11+ config file parses and is a config table (0.7 cannot run vim.lsp.enable with it).
local native = assert(loadfile(os.getenv('MIMI_NVIM_RTP') .. '/lsp/mimi.lua'))()
log('native config cmd ' .. native.cmd[1] .. ' on_attach ' .. type(native.on_attach))
require('mimi').setup({ cmd = { os.getenv('MIMI_BIN') } })
vim.o.completeopt = 'menuone,noinsert' -- a menu even for one item, its first entry selected

local root = os.getenv('MIMI_NVIM_ROOT')
vim.fn.mkdir(root .. '/.git', 'p') -- the workspace root marker
vim.cmd('edit ' .. root .. '/other.go')
vim.cmd('edit ' .. os.getenv('MIMI_NVIM_FILE'))
local bufnr = vim.api.nvim_get_current_buf()

local function mimi()
  local out = {}
  for _, c in pairs(vim.lsp.get_active_clients()) do
    if c.name == 'mimi' then table.insert(out, c) end
  end
  return out
end

-- poll calls check every 20 ms until it returns true, then next; fail after ms.
local function poll(ms, what, check, next)
  local deadline = vim.loop.now() + ms
  local function tick()
    local ok, done = pcall(check)
    if not ok then return fail(tostring(done)) end
    if done then return next() end
    if vim.loop.now() > deadline then return fail('timed out waiting for ' .. what) end
    vim.defer_fn(tick, 20)
  end
  tick()
end

local stats
poll(20000, 'the server', function() local c = mimi()[1]; return c ~= nil and c.initialized end, function()
  log('clients ' .. #mimi() .. ' buffers of the first ' .. #vim.tbl_keys(mimi()[1].attached_buffers))
  -- Line 10 is "\treturn": append a space and ask omnifunc in insert mode.
  vim.api.nvim_win_set_cursor(0, { 10, 0 })
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('A <C-x><C-o>', true, false, true), 'n', false)
  poll(20000, 'the completion menu', function() return #vim.fn.complete_info({ 'items' }).items > 0 end, function()
    log('menu ' .. vim.inspect(vim.fn.complete_info({ 'items' }).items[1].word))
    vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<C-y><Esc>', true, false, true), 'n', false)
    poll(20000, 'the accept to be counted', function()
      local r = mimi()[1].request_sync('mimi/stats', nil, 5000, bufnr)
      stats = r and r.result and r.result.completion
      return stats ~= nil and stats.accepted >= 1
    end, function()
      log('line ' .. vim.api.nvim_buf_get_lines(bufnr, 9, 10, false)[1])
      log(string.format('stats shown=%d accepted=%d acceptRate=%.2f', stats.shown, stats.accepted, stats.acceptRate))
      -- A C file: its filetype plugin sets ccomplete#Complete; mimi's attach replaces it.
      vim.cmd('edit ' .. root .. '/other.c')
      poll(20000, 'the C buffer to use the LSP omnifunc', function() return vim.bo.omnifunc == 'v:lua.vim.lsp.omnifunc' end, function()
        log('c omnifunc ' .. vim.bo.omnifunc .. ' clients ' .. #mimi())
        finish()
      end)
    end)
  end)
end)
