-- mimi-lsp for Neovim. Put this file on your runtimepath (e.g. ~/.config/nvim/lua/mimi.lua)
-- and `require('mimi')`, or copy the part for your version into init.lua.
-- Completion items come through textDocument/completion (omnifunc, nvim-cmp's LSP source,
-- or the built-in completion in 0.11+). Settings go in init_options (see the README table).
local init_options = {
  -- ollamaHost = 'http://gpu-box:11434',
  -- completionModel = 'qwen2.5-coder:7b',
}

if vim.lsp.config then -- Neovim 0.11+
  vim.lsp.config('mimi', {
    cmd = { 'mimi-lsp' },
    filetypes = { 'go', 'python', 'lua', 'rust', 'javascript', 'typescript', 'c', 'cpp', 'java', 'sh' },
    root_markers = { '.git' },
    init_options = init_options,
  })
  vim.lsp.enable('mimi')
else -- Neovim 0.7–0.10
  vim.api.nvim_create_autocmd('FileType', {
    callback = function(args)
      if vim.bo[args.buf].buftype ~= '' then return end
      local id = vim.lsp.start_client({
        name = 'mimi',
        cmd = { 'mimi-lsp' },
        root_dir = vim.fn.getcwd(),
        init_options = init_options,
      })
      if id then vim.lsp.buf_attach_client(args.buf, id) end
    end,
  })
end
