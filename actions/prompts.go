package actions

import (
	"fmt"
	"strings"

	"github.com/mimi-lsp/mimi-lsp/internal/tokens"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// Snippet is code from another file of the workspace (the retriever's), for context.
type Snippet struct {
	Path, Text string
}

// PromptInput is what an action's prompt is built from.
type PromptInput struct {
	Action   Action
	Request  Request
	Snippets []Snippet
	// TestFile is the path of the test file Tests writes to, and TestText its current text
	// ("" when it does not exist yet).
	TestFile, TestText string
}

// chatTokens are the special tokens of the chat templates in use (ChatML for Qwen, and the
// common others): text the user owns never carries them into a prompt (internal/tokens).
var chatTokens = []string{"<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|fim_prefix|>", "<|fim_suffix|>",
	"<|fim_middle|>", "<|file_sep|>", "<|repo_name|>", "<think>", "</think>", "<|start_header_id|>",
	"<|end_header_id|>", "<|eot_id|>", "<start_of_turn>", "<end_of_turn>", "[INST]", "[/INST]", "<s>", "</s>"}

// RestoreTokens turns neutralised special tokens in an answer back into the user's text.
func RestoreTokens(s string) string { return tokens.Restore(s, chatTokens) }

func userText(s string) string { return tokens.Neutralise(s, chatTokens) }

// fence returns a code fence longer than any run of backticks in s, so code that holds
// Markdown fences of its own cannot close ours.
func fence(s string) string {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// codeBlock renders code as a fenced block tagged with lang.
func codeBlock(lang, code string) string {
	f := fence(code)
	return f + lang + "\n" + strings.TrimRight(code, "\n") + "\n" + f + "\n"
}

// Prompt returns the chat messages of an action: a system message with the rules of the
// answer, and a user message with the file's path and imports, code from other files, the
// target code, and the task. Every piece of user text is neutralised for special tokens and
// fenced so it cannot become prompt structure.
func Prompt(in PromptInput) []model.Message {
	r, a := in.Request, in.Action
	lang := r.Language
	var sys strings.Builder
	sys.WriteString("You are an expert " + langName(lang) + " programmer working inside the user's code editor.\n")
	if a.ID == Explain {
		sys.WriteString("Answer in Markdown, concisely (at most 200 words). Do not rewrite the code.\n")
	} else {
		sys.WriteString("Answer with exactly one fenced code block holding only the code asked for, and nothing after it. " +
			"Keep the file's style, names, indentation and language. Never change code you were not asked to change.\n")
	}
	var u strings.Builder
	fmt.Fprintf(&u, "File: %s\n\n", oneLine(userText(r.Path)))
	if imp := imports(r.Text, lang); imp != "" && a.ID != Explain {
		u.WriteString("Its imports:\n" + codeBlock(lang, userText(imp)) + "\n")
	}
	if len(in.Snippets) > 0 {
		u.WriteString("Code from other files of the workspace, for reference:\n")
		for _, s := range in.Snippets {
			u.WriteString("File: " + oneLine(userText(s.Path)) + "\n" + codeBlock(lang, userText(s.Text)))
		}
		u.WriteString("\n")
	}
	target := r.Text[a.Start:a.End]
	what := "this code"
	if a.Name != "" {
		what = oneLine(userText(a.Name))
	}
	switch a.ID {
	case Document:
		d, _ := Enclosing(r.Text, lang, a.Start)
		u.WriteString("The declaration:\n" + codeBlock(lang, userText(r.Text[d.Start:d.End])) + "\n")
		u.WriteString("Write the doc comment for " + what + " in the language's conventional style" + docStyle(lang) +
			". Answer with the comment only, as it should appear in the file (not the declaration).\n")
	case Fix:
		dg := r.Diagnostics[a.Diag]
		u.WriteString("The code:\n" + codeBlock(lang, userText(target)) + "\n")
		line := strings.Count(r.Text[:max(0, min(dg.Start, len(r.Text)))], "\n") - strings.Count(r.Text[:a.Start], "\n") + 1
		fmt.Fprintf(&u, "The editor reports at line %d of this code: %s%s\n", line, severityName(dg.Severity), oneLine(userText(dg.Message)))
		if dg.Source != "" {
			fmt.Fprintf(&u, "(from %s)\n", oneLine(userText(dg.Source)))
		}
		u.WriteString("Fix it. Answer with the complete corrected code above, changed only where the fix needs it.\n")
	case Implement:
		u.WriteString("The code:\n" + codeBlock(lang, userText(target)) + "\n")
		u.WriteString("Implement " + what + ": replace the TODO or stub with a complete, working implementation. " +
			"Answer with the complete code of " + what + ".\n")
	case Tests:
		u.WriteString("The code:\n" + codeBlock(lang, userText(target)) + "\n")
		if in.TestText != "" {
			u.WriteString("The test file " + oneLine(userText(in.TestFile)) + " already holds:\n" + codeBlock(lang, userText(in.TestText)) + "\n")
			u.WriteString("Write new tests for " + what + testStyle(lang) + ", to append to that file: " +
				"answer with the new test functions only (no package clause, no tests that are already there).\n")
		} else {
			u.WriteString("Write tests for " + what + testStyle(lang) + " as the complete new file " +
				oneLine(userText(in.TestFile)) + ".\n")
		}
	case Explain:
		u.WriteString("The code:\n" + codeBlock(lang, userText(target)) + "\n")
		u.WriteString("Explain what " + what + " does for a developer reading it: its purpose, inputs and outputs, " +
			"and anything surprising.\n")
	default: // Rewrite
		u.WriteString("The code:\n" + codeBlock(lang, userText(target)) + "\n")
		u.WriteString("Rewrite " + what + " to be simpler and clearer without changing its behaviour. " +
			"Answer with the complete rewritten code.\n")
	}
	return []model.Message{{Role: "system", Content: sys.String()}, {Role: "user", Content: u.String()}}
}

// oneLine keeps a path or message on its line.
var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace

func severityName(s int) string {
	switch s {
	case 1:
		return "error: "
	case 2:
		return "warning: "
	case 3:
		return "info: "
	case 4:
		return "hint: "
	}
	return ""
}

var langNames = map[string]string{"go": "Go", "python": "Python", "javascript": "JavaScript", "typescript": "TypeScript",
	"typescriptreact": "TypeScript", "javascriptreact": "JavaScript", "rust": "Rust", "java": "Java", "c": "C",
	"cpp": "C++", "csharp": "C#", "ruby": "Ruby", "php": "PHP", "kotlin": "Kotlin", "swift": "Swift", "lua": "Lua",
	"shellscript": "shell"}

func langName(l string) string {
	if n, ok := langNames[l]; ok {
		return n
	}
	if l == "" {
		return "software"
	}
	return l
}

func docStyle(l string) string {
	switch l {
	case "go":
		return " (// lines, the first sentence starting with the name)"
	case "python":
		return " (a docstring)"
	case "javascript", "typescript", "javascriptreact", "typescriptreact", "java", "kotlin", "php":
		return " (/** … */)"
	case "rust":
		return " (/// lines)"
	}
	return ""
}

func testStyle(l string) string {
	switch l {
	case "go":
		return " with the testing package (table-driven where it fits)"
	case "python":
		return " with pytest"
	case "javascript", "typescript", "javascriptreact", "typescriptreact":
		return " in the style of the project's test framework (Jest/Vitest)"
	case "rust":
		return " as #[test] functions"
	}
	return ""
}

// imports returns the lines of the file that import other code (Go: the import declarations;
// others: import/from/#include/use/require lines near the top), at most 40.
func imports(text, lang string) string {
	var out []string
	in := false
	for i, l := range strings.Split(text, "\n") {
		if i > 400 || len(out) >= 40 {
			break
		}
		t := strings.TrimSpace(l)
		switch {
		case in:
			out = append(out, l)
			if t == ")" {
				in = false
			}
		case lang == "go" && t == "import (":
			out, in = append(out, l), true
		case strings.HasPrefix(t, "import ") || strings.HasPrefix(t, "from ") && strings.Contains(t, " import ") ||
			strings.HasPrefix(t, "#include") || strings.HasPrefix(t, "use ") || strings.Contains(t, "= require("):
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
