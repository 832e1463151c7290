package lsp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzStreamFraming: whatever arrives on stdin, the reader never panics, always ends, and a
// valid frame that follows garbage (after a line break) is still read: the stream resyncs.
func FuzzStreamFraming(f *testing.F) {
	for _, seed := range []string{
		"", "garbage", "Content-Length: 5\r\n\r\n{}", "Content-Length: -1\r\n\r\n",
		"Content-Length: 99999999999\r\n\r\n", "X: y\r\n\r\n", "Content-Length: 2\r\n\r\n{}",
		"Content-Length: 8\r\n\r\n[1,2,3]", "\r\n\r\n\r\n", "Content-Type: x\r\nContent-Length: 1\r\n\r\n{",
	} {
		f.Add([]byte(seed))
	}
	valid := `{"jsonrpc":"2.0","id":7,"method":"shutdown"}`
	frame := fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(valid), valid)
	f.Fuzz(func(t *testing.T, garbage []byte) {
		// No panic and termination on any input.
		s := newStream(bytes.NewReader(garbage), io.Discard, nil, slog.New(slog.DiscardHandler))
		for i := 0; ; i++ {
			if _, _, err := s.Read(context.Background()); err != nil {
				break
			}
			if i > len(garbage) {
				t.Fatal("more messages than input bytes")
			}
		}
		// Resync: garbage without a Content-Length header of its own, then a frame.
		if bytes.Contains(bytes.ToLower(garbage), []byte("content-length")) {
			return
		}
		in := append(append(bytes.Clone(garbage), '\n'), frame...)
		s = newStream(bytes.NewReader(in), io.Discard, nil, slog.New(slog.DiscardHandler))
		msg, _, err := s.Read(context.Background())
		if err != nil {
			t.Fatalf("frame after %q not read: %v", garbage, err)
		}
		if !strings.Contains(fmt.Sprintf("%v", msg), "shutdown") {
			t.Fatalf("read %v, want the shutdown call", msg)
		}
	})
}

// naiveOffset is the reference for Document.Offset: the text as runes, lines split at \n, \r\n
// and \r, units counted per rune. Only for valid UTF-8.
func naiveOffset(text string, line, char int, enc Encoding) (int, bool) {
	rs := []rune(text)
	// rune index of each line start, and of each line's content end
	starts, ends := []int{0}, []int{}
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\n':
			ends = append(ends, i)
			starts = append(starts, i+1)
		case '\r':
			ends = append(ends, i)
			if i+1 < len(rs) && rs[i+1] == '\n' {
				i++
			}
			starts = append(starts, i+1)
		}
	}
	ends = append(ends, len(rs))
	if line >= len(starts) {
		return 0, false
	}
	units, idx := 0, starts[line]
	for idx < ends[line] {
		n := 1
		switch enc {
		case UTF8:
			n = utf8.RuneLen(rs[idx])
		case UTF16:
			if rs[idx] >= 0x10000 {
				n = 2
			}
		}
		if units+n > char {
			break // before this rune, or inside it: snap to its start
		}
		units += n
		idx++
	}
	return len(string(rs[:idx])), true
}

// FuzzOffsetMatchesNaive: position conversion agrees with the rune-slice reference in every
// encoding, and PositionOf inverts Offset.
func FuzzOffsetMatchesNaive(f *testing.F) {
	f.Add("hello\nwörld\n", uint16(1), uint16(2), uint8(0))
	f.Add("a👋b\r\nc\rd", uint16(0), uint16(2), uint8(1))
	f.Add("", uint16(0), uint16(9), uint8(2))
	f.Add("x\n\n\ny", uint16(3), uint16(1), uint8(0))
	encs := []Encoding{UTF16, UTF8, UTF32}
	f.Fuzz(func(t *testing.T, text string, line, char uint16, e uint8) {
		text = strings.ToValidUTF8(text, "?")
		enc := encs[int(e)%len(encs)]
		d := NewDocument("u", "go", 1, text)
		p := Position{Line: uint32(line), Character: uint32(char)}
		got, err := d.Offset(p, enc)
		want, ok := naiveOffset(text, int(line), int(char), enc)
		if (err == nil) != ok {
			t.Fatalf("Offset(%v, %s) err = %v, reference ok = %v (text %q)", p, enc, err, ok, text)
		}
		if !ok {
			return
		}
		if got != want {
			t.Fatalf("Offset(%v, %s) = %d, reference %d (text %q)", p, enc, got, want, text)
		}
		back := d.PositionOf(got, enc)
		if again, err := d.Offset(back, enc); err != nil || again != got {
			t.Fatalf("Offset(PositionOf(%d)) = %d, %v (pos %v, text %q)", got, again, err, back, text)
		}
	})
}

// naiveApply is the reference for incremental sync, on the naive offsets above.
func naiveApply(text string, changes []contentChange, enc Encoding) (string, bool) {
	for _, c := range changes {
		if c.Range == nil {
			text = c.Text
			continue
		}
		off := func(p Position) (int, bool) {
			lines := NewDocument("u", "", 0, text).LineCount()
			if int(p.Line) == lines && p.Character == 0 {
				return len(text), true
			}
			return naiveOffset(text, int(p.Line), int(p.Character), enc)
		}
		s, ok1 := off(c.Range.Start)
		e, ok2 := off(c.Range.End)
		if !ok1 || !ok2 || e < s {
			return "", false
		}
		text = text[:s] + c.Text + text[e:]
	}
	return text, true
}

// FuzzIncrementalApply: applying a sequence of edits gives the same text as the reference, or
// fails exactly when the reference does (and then leaves the document unchanged).
func FuzzIncrementalApply(f *testing.F) {
	f.Add("hello\nwörld\n", []byte{0, 1, 0, 2, 1, 'x', 1, 0, 1, 0, 0, 'y'}, uint8(0))
	f.Add("a👋b\r\nc", []byte{0, 1, 0, 2, 0, 'z'}, uint8(0))
	f.Add("", []byte{0, 0, 0, 0, 3, 'q'}, uint8(1))
	encs := []Encoding{UTF16, UTF8, UTF32}
	f.Fuzz(func(t *testing.T, text string, ops []byte, e uint8) {
		text = strings.ToValidUTF8(text, "?")
		enc := encs[int(e)%len(encs)]
		var changes []contentChange
		for len(ops) >= 6 && len(changes) < 8 {
			o := ops[:6]
			ops = ops[6:]
			ins := strings.Repeat(string(rune('a'+o[5]%26)), int(o[4]%4))
			if o[4]%7 == 6 {
				ins = "\r\n👋"
			}
			if o[0] == 255 {
				changes = append(changes, contentChange{Text: ins})
				continue
			}
			r := &Range{Start: Position{Line: uint32(o[0] % 8), Character: uint32(o[1] % 12)},
				End: Position{Line: uint32(o[2] % 8), Character: uint32(o[3] % 12)}}
			changes = append(changes, contentChange{Range: r, Text: ins})
		}
		d := NewDocument("u", "go", 1, text)
		got, err := d.apply(2, changes, enc)
		want, ok := naiveApply(text, changes, enc)
		if (err == nil) != ok {
			t.Fatalf("apply err = %v, reference ok = %v", err, ok)
		}
		if !ok {
			if got.Text != text {
				t.Fatalf("a failed change altered the text: %q", got.Text)
			}
			return
		}
		if got.Text != want {
			t.Fatalf("apply = %q, reference %q (text %q, changes %+v)", got.Text, want, text, changes)
		}
	})
}
