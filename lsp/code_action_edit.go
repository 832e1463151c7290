package lsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/mimi-lsp/mimi-lsp/actions"
	"github.com/mimi-lsp/mimi-lsp/embed"
	"github.com/mimi-lsp/mimi-lsp/internal/secretfiles"
)

// What a resolved code action becomes: a WorkspaceEdit (the document, the test file it writes),
// or an explanation shown to the user.

// testFile is the test file of doc (by the language's convention): its URI and current text
// with its version when open in the editor (else the file on disk, version nil, "" when it does
// not exist yet). A test file that cannot be read, or is over 4 MiB, is an error: creating it
// again would put a second file in front of it.
type testFile struct {
	uri, rel, text string
	version        *int32
}

// maxTestFile bounds the test file read into a prompt.
const maxTestFile = 4 << 20

// findTestFile finds doc's test file. On disk it is read through the workspace walk's rules
// (embed.Walker.Open: no secret file, no link out of the workspace, no FIFO, nothing ignored),
// and those rules apply to its path even when the editor has it open: a repository's
// foo_test.go -> ~/.aws/credentials must not put the credentials into a prompt. A session
// whose client may be another user (Options.Remote) reads no file at all: the test file must
// be open in the editor, or not exist (the editor then refuses to create it over one).
func (s *Server) findTestFile(doc *Document) (testFile, error) {
	p := documentPath(doc.URI)
	tp := ""
	if p != "" {
		tp = actions.TestPath(filepath.ToSlash(p), doc.LanguageID)
	}
	if tp == "" {
		return testFile{}, fmt.Errorf("no test file convention for %s", doc.URI)
	}
	tf := testFile{uri: fileURI(filepath.FromSlash(tp))}
	if i := strings.LastIndexByte(doc.URI, '/'); i >= 0 && strings.HasPrefix(doc.URI, "file:") {
		// The editor's own spelling of the folder, the file name escaped as a URI path.
		tf.uri = doc.URI[:i+1] + (&url.URL{Path: filepath.Base(tp)}).EscapedPath()
	}
	tf.rel = s.relPath(tf.uri)
	d, open := s.docs.get(tf.uri)
	if s.opts.Remote {
		if open {
			v := d.Version
			tf.text, tf.version = d.Text, &v
		}
		return tf, nil
	}
	f, err := s.openTestFile(filepath.FromSlash(tp))
	if errors.Is(err, os.ErrNotExist) {
		if open { // not saved yet
			v := d.Version
			tf.text, tf.version = d.Text, &v
		}
		return tf, nil
	}
	if err != nil {
		return tf, fmt.Errorf("the test file %s is not one mimi-lsp may read (%v): a secret or ignored file, a link out of the workspace, or not a regular file", tf.rel, err)
	}
	defer f.Close()
	if open {
		v := d.Version
		tf.text, tf.version = d.Text, &v
		return tf, nil
	}
	st, err := f.Stat()
	if err != nil || st.Size() > maxTestFile {
		return tf, fmt.Errorf("the test file %s is not a regular file under 4 MiB", tf.rel)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTestFile))
	if err != nil {
		return tf, fmt.Errorf("cannot read the test file %s: %w", tf.rel, err)
	}
	if len(b) == 0 {
		return tf, fmt.Errorf("the test file %s is empty: delete it or give it a package clause", tf.rel)
	}
	tf.text = string(b)
	return tf, nil
}

// openTestFile opens the file at path through the walk's rules of the workspace folder that
// holds it (the file's own directory when none does); os.ErrNotExist when there is nothing
// there.
func (s *Server) openTestFile(path string) (*os.File, error) {
	if _, err := os.Lstat(path); err != nil {
		return nil, err
	}
	s.mu.Lock()
	roots, cfg := append([]string(nil), s.roots...), s.cfg
	s.mu.Unlock()
	root := filepath.Dir(path)
	for _, r := range roots {
		if rel, err := filepath.Rel(r, path); err == nil && filepath.IsLocal(rel) && len(r) < len(root) {
			root = r // the outermost folder: its ignore files count too
		}
	}
	deny, err := secretfiles.New(secretfiles.Split(cfg.SecretFiles))
	if err != nil {
		return nil, err
	}
	w, err := embed.NewWalker(root, embed.WalkOptions{Ignore: splitPatterns(cfg.IndexIgnore), Secrets: deny})
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return nil, err
	}
	return w.Open(filepath.ToSlash(rel))
}

// splitPatterns is a comma-separated pattern list as the index reads it.
func splitPatterns(list string) []string {
	var out []string
	for p := range strings.SplitSeq(list, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// workspaceEdit turns a result into an LSP WorkspaceEdit: versioned document changes when the
// client supports them (it refuses a stale edit), a created test file when it can create files.
func (s *Server) workspaceEdit(doc *Document, tf testFile, res actions.Result) (any, error) {
	s.mu.Lock()
	caps := s.clientActions
	s.mu.Unlock()
	enc := s.encoding()
	conv := func(d *Document, edits []actions.Edit) []protocol.TextEdit {
		out := make([]protocol.TextEdit, 0, len(edits))
		for _, e := range edits {
			out = append(out, protocol.TextEdit{Range: Range{Start: d.PositionOf(e.Start, enc), End: d.PositionOf(e.End, enc)}, NewText: e.New})
		}
		return out
	}
	type versioned struct {
		URI     string `json:"uri"`
		Version *int32 `json:"version"`
	}
	type docEdit struct {
		TextDocument versioned           `json:"textDocument"`
		Edits        []protocol.TextEdit `json:"edits"`
	}
	var changes []any
	plain := map[string][]protocol.TextEdit{}
	if len(res.Edits) > 0 {
		v := doc.Version
		changes = append(changes, docEdit{versioned{doc.URI, &v}, conv(doc, res.Edits)})
		plain[doc.URI] = conv(doc, res.Edits)
	}
	switch {
	case res.TestNew != "":
		if !caps.createFiles || !caps.documentChanges {
			return nil, fmt.Errorf("the editor cannot create files through LSP: create %s and run the action again", tf.rel)
		}
		// A file that exists after all (created since, or unseen: a Remote session reads no
		// disk) makes the editor refuse the edit, rather than the new tests landing in front of
		// its text.
		changes = append(changes, map[string]any{"kind": "create", "uri": tf.uri, "options": map[string]bool{"overwrite": false, "ignoreIfExists": false}},
			docEdit{versioned{tf.uri, nil}, []protocol.TextEdit{{NewText: res.TestNew}}})
	case len(res.TestEdits) > 0:
		if open, ok := s.docs.get(tf.uri); ok && (tf.version == nil || open.Version != *tf.version) {
			return nil, errors.New("the test file changed while the model worked: run the action again")
		}
		td := NewDocument(tf.uri, doc.LanguageID, 0, tf.text)
		changes = append(changes, docEdit{versioned{tf.uri, tf.version}, conv(td, res.TestEdits)})
		plain[tf.uri] = conv(td, res.TestEdits)
	}
	if caps.documentChanges {
		return map[string]any{"documentChanges": changes}, nil
	}
	return map[string]any{"changes": plain}, nil
}

// explain shows an explanation: as a message, or (actionExplain=document, when the client can
// show documents) as a Markdown file under the user cache directory opened in the editor.
func (s *Server) explain(ctx context.Context, title, text string) {
	title = strings.TrimPrefix(title, "AI: ")
	s.mu.Lock()
	asDoc := s.cfg.ActionExplain == "document" && s.clientActions.showDocument
	s.mu.Unlock()
	if asDoc {
		err := s.showExplanation(ctx, title, text)
		if err == nil {
			return
		}
		s.log.Warn("explanation not shown as a document: showing a message", "err", err)
	}
	s.show(ctx, protocol.MessageTypeInfo, title+"\n\n"+text)
}

func (s *Server) showExplanation(ctx context.Context, title, text string) error {
	base, err := os.UserCacheDir()
	if err != nil {
		return err
	}
	dir := filepath.Join(base, "mimi-lsp", "explain")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, title)
	f := filepath.Join(dir, name+".md")
	if err := os.WriteFile(f, []byte("# "+title+"\n\n"+text+"\n"), 0o600); err != nil {
		return err
	}
	var res struct {
		Success bool `json:"success"`
	}
	cctx, cancel := s.clientCallContext()
	defer cancel()
	if _, err := s.conn.Call(cctx, "window/showDocument", map[string]any{"uri": fileURI(f), "takeFocus": true}, &res); err != nil {
		return err
	}
	if !res.Success {
		return errors.New("the editor did not open it")
	}
	return nil
}
