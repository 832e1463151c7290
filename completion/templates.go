package completion

import (
	"fmt"
	"strings"
)

// TemplateVersion is part of every cache key: bump it when a prompt format or post-processing
// rule changes, so old answers are not served for new prompts.
const TemplateVersion = "fim-v2" // v2: special tokens in user text are neutralised (escape.go)

// Snippet is context from another file (retrieval); Path is workspace-relative.
type Snippet struct {
	Path string
	Text string
}

// PromptInput is what a template renders.
type PromptInput struct {
	Prefix, Suffix string
	Path           string // workspace-relative path of the file being edited ("" when unknown)
	Repo           string // repository/workspace name for repo-level formats
	Language       string // LSP languageId, for comment syntax
	Snippets       []Snippet
}

// Template is a FIM format of one model family.
type Template struct {
	Name    string
	Special []string // the family's special tokens: stripped from answers, used as stops
	Stop    []string
	render  func(in PromptInput) string
}

// Render builds the raw prompt. User-owned text is neutralised first (escape.go): the prompt's
// structure is the template's alone.
func (t *Template) Render(in PromptInput) string { return t.render(t.neutraliseInput(in)) }

var qwenSpecial = []string{"<|endoftext|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|fim_pad|>",
	"<|repo_name|>", "<|file_sep|>", "<|im_start|>", "<|im_end|>"}

var templates = map[string]*Template{
	"qwen": {
		Name: "qwen", Special: qwenSpecial, Stop: qwenSpecial,
		render: func(in PromptInput) string {
			return "<|fim_prefix|>" + commentContext(in) + in.Prefix + "<|fim_suffix|>" + in.Suffix + "<|fim_middle|>"
		},
	},
	"qwen-repo": {
		Name: "qwen-repo", Special: qwenSpecial, Stop: qwenSpecial,
		render: func(in PromptInput) string {
			var b strings.Builder
			repo := in.Repo
			if repo == "" {
				repo = "workspace"
			}
			b.WriteString("<|repo_name|>" + repo + "\n")
			for _, s := range in.Snippets {
				b.WriteString("<|file_sep|>" + s.Path + "\n" + s.Text + "\n")
			}
			path := in.Path
			if path == "" {
				path = "untitled"
			}
			b.WriteString("<|file_sep|>" + path + "\n<|fim_prefix|>" + in.Prefix + "<|fim_suffix|>" + in.Suffix + "<|fim_middle|>")
			return b.String()
		},
	},
	"deepseek": {
		Name:    "deepseek",
		Special: []string{"<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "<｜end▁of▁sentence｜>", "<｜begin▁of▁sentence｜>", "<|EOT|>"},
		Stop:    []string{"<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "<｜end▁of▁sentence｜>", "<|EOT|>"},
		render: func(in PromptInput) string {
			return "<｜fim▁begin｜>" + commentContext(in) + in.Prefix + "<｜fim▁hole｜>" + in.Suffix + "<｜fim▁end｜>"
		},
	},
	"codellama": {
		Name:    "codellama",
		Special: []string{"<PRE>", "<SUF>", "<MID>", "<EOT>", "</s>", "<s>"},
		Stop:    []string{"<PRE>", "<SUF>", "<MID>", "<EOT>", "</s>"},
		render: func(in PromptInput) string {
			return "<PRE> " + commentContext(in) + in.Prefix + " <SUF>" + in.Suffix + " <MID>"
		},
	},
	"starcoder2": {
		Name:    "starcoder2",
		Special: []string{"<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<fim_pad>", "<file_sep>", "<repo_name>", "<|endoftext|>"},
		Stop:    []string{"<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<fim_pad>", "<file_sep>", "<repo_name>", "<|endoftext|>"},
		render: func(in PromptInput) string {
			var b strings.Builder
			if len(in.Snippets) > 0 {
				for _, s := range in.Snippets {
					b.WriteString("<file_sep>" + s.Path + "\n" + s.Text + "\n")
				}
				b.WriteString("<file_sep>" + in.Path + "\n")
			}
			b.WriteString("<fim_prefix>" + in.Prefix + "<fim_suffix>" + in.Suffix + "<fim_middle>")
			return b.String()
		},
	},
	"codegemma": {
		Name:    "codegemma",
		Special: []string{"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_separator|>", "<eos>", "<end_of_turn>", "<bos>"},
		Stop:    []string{"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_separator|>", "<eos>", "<end_of_turn>"},
		render: func(in PromptInput) string {
			return "<|fim_prefix|>" + commentContext(in) + in.Prefix + "<|fim_suffix|>" + in.Suffix + "<|fim_middle|>"
		},
	},
	"codestral": {
		Name:    "codestral",
		Special: []string{"[PREFIX]", "[SUFFIX]", "[MIDDLE]", "[INST]", "[/INST]", "</s>", "<s>"},
		Stop:    []string{"[PREFIX]", "[SUFFIX]", "[MIDDLE]", "[INST]", "[/INST]", "</s>"},
		render: func(in PromptInput) string {
			return "[SUFFIX]" + in.Suffix + "[PREFIX]" + commentContext(in) + in.Prefix
		},
	},
}

// TemplateFor picks the FIM format: name when it is not "auto", else from the model name.
// hasSnippets selects qwen's repo-level format for qwen models in auto mode.
// known is false when auto mode did not recognise the model (qwen is used then).
func TemplateFor(name, modelName string, hasSnippets bool) (t *Template, known bool, err error) {
	if name != "" && name != "auto" {
		t, ok := templates[name]
		if !ok {
			return nil, false, fmt.Errorf("unknown FIM template %q", name)
		}
		return t, true, nil
	}
	m := strings.ToLower(modelName)
	switch {
	case strings.Contains(m, "qwen"):
		if hasSnippets {
			return templates["qwen-repo"], true, nil
		}
		return templates["qwen"], true, nil
	case strings.Contains(m, "deepseek"):
		return templates["deepseek"], true, nil
	case strings.Contains(m, "codellama") || strings.Contains(m, "code-llama"):
		return templates["codellama"], true, nil
	case strings.Contains(m, "starcoder"):
		return templates["starcoder2"], true, nil
	case strings.Contains(m, "codegemma"):
		return templates["codegemma"], true, nil
	case strings.Contains(m, "codestral") || strings.Contains(m, "mistral"):
		return templates["codestral"], true, nil
	}
	return templates["qwen"], false, nil
}

// commentContext renders snippets as comments for formats without a repo-level layout.
func commentContext(in PromptInput) string {
	if len(in.Snippets) == 0 {
		return ""
	}
	c := commentMarker(in.Language)
	var b strings.Builder
	for _, s := range in.Snippets {
		b.WriteString(c + " Path: " + s.Path + "\n")
		for _, line := range strings.Split(strings.TrimRight(s.Text, "\n"), "\n") {
			b.WriteString(c + " " + line + "\n")
		}
	}
	if in.Path != "" {
		b.WriteString(c + " Path: " + in.Path + "\n")
	}
	return b.String()
}

func commentMarker(lang string) string {
	switch lang {
	case "python", "ruby", "shellscript", "sh", "bash", "yaml", "toml", "perl", "r", "elixir", "dockerfile", "makefile":
		return "#"
	case "lua", "sql", "haskell":
		return "--"
	case "lisp", "clojure", "scheme":
		return ";;"
	default:
		return "//"
	}
}
