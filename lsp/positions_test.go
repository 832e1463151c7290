package lsp

import (
	"errors"
	"testing"
)

func TestOffsetAndPosition(t *testing.T) {
	// Line 0: "a👋é" (👋 is 4 bytes / 2 UTF-16 units / 1 rune; é is 2 bytes), CRLF; line 1 "x";
	// lone CR; line 2 "yz"; LF; line 3 "".
	doc := NewDocument("file:///t", "go", 1, "a👋é\r\nx\ryz\n")
	cases := []struct {
		pos  Position
		enc  Encoding
		want int
	}{
		{pos(0, 0), UTF16, 0},
		{pos(0, 1), UTF16, 1},
		{pos(0, 2), UTF16, 1}, // inside the surrogate pair: snaps to the emoji's start
		{pos(0, 3), UTF16, 5},
		{pos(0, 4), UTF16, 7},
		{pos(0, 99), UTF16, 7}, // past the line end: clamps before CRLF
		{pos(0, 2), UTF32, 5},
		{pos(0, 3), UTF8, 1}, // inside the emoji's bytes: snaps back
		{pos(0, 5), UTF8, 5},
		{pos(1, 1), UTF16, 10},
		{pos(1, 5), UTF16, 10}, // before the lone CR
		{pos(2, 2), UTF16, 13},
		{pos(3, 0), UTF16, 14},
	}
	for _, c := range cases {
		got, err := doc.Offset(c.pos, c.enc)
		if err != nil || got != c.want {
			t.Errorf("Offset(%v, %s) = %d, %v; want %d", c.pos, c.enc, got, err, c.want)
		}
	}
	var pe *PositionError
	if _, err := doc.Offset(pos(4, 0), UTF16); !errors.As(err, &pe) {
		t.Errorf("line past end: err = %v, want *PositionError", err)
	}
	for _, c := range []struct {
		off  int
		enc  Encoding
		want Position
	}{
		{5, UTF16, pos(0, 3)},
		{5, UTF8, pos(0, 5)},
		{5, UTF32, pos(0, 2)},
		{7, UTF16, pos(0, 4)},
		{8, UTF16, pos(0, 4)}, // between CR and LF: end of the line's content
		{13, UTF16, pos(2, 2)},
		{99, UTF16, pos(3, 0)},
	} {
		if got := doc.PositionOf(c.off, c.enc); got != c.want {
			t.Errorf("PositionOf(%d, %s) = %v, want %v", c.off, c.enc, got, c.want)
		}
	}
}

func TestApplyChanges(t *testing.T) {
	doc := NewDocument("u", "go", 1, "hello\nwörld\n")
	r := func(l1, c1, l2, c2 uint32) *Range {
		return &Range{Start: Position{Line: l1, Character: c1}, End: Position{Line: l2, Character: c2}}
	}
	cases := []struct {
		name    string
		changes []contentChange
		want    string
		wantErr bool
	}{
		{"insert", []contentChange{{Range: r(0, 5, 0, 5), Text: ","}}, "hello,\nwörld\n", false},
		{"replace non-ascii", []contentChange{{Range: r(1, 1, 1, 2), Text: "o"}}, "hello\nworld\n", false},
		{"sequential", []contentChange{{Range: r(0, 0, 0, 5), Text: "bye"}, {Range: r(0, 3, 1, 0), Text: " "}}, "bye wörld\n", false},
		{"full", []contentChange{{Text: "new"}}, "new", false},
		{"append at end", []contentChange{{Range: r(2, 0, 2, 0), Text: "x"}}, "hello\nwörld\nx", false},
		{"past end", []contentChange{{Range: r(7, 0, 7, 0), Text: "x"}}, "hello\nwörld\n", true},
		{"reversed", []contentChange{{Range: r(1, 0, 0, 0), Text: "x"}}, "hello\nwörld\n", true},
	}
	for _, c := range cases {
		got, err := doc.apply(2, c.changes, UTF16)
		if (err != nil) != c.wantErr || got.Text != c.want {
			t.Errorf("%s: got %q, %v", c.name, got.Text, err)
		}
	}
}

func BenchmarkOffsetUTF16(b *testing.B) {
	text := ""
	for range 2000 {
		text += "\tfmt.Println(\"héllo wörld 👋\", x, y, z)\n"
	}
	doc := NewDocument("u", "go", 1, text)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := doc.Offset(Position{Line: 1500, Character: 30}, UTF16); err != nil {
			b.Fatal(err)
		}
	}
}

func pos(line, char uint32) Position { return Position{Line: line, Character: char} }

func TestMatchLineEndings(t *testing.T) {
	for _, c := range []struct{ doc, in, want string }{
		{"a\r\nb", "x\ny", "x\r\ny"},
		{"a\r\nb", "x\r\ny", "x\r\ny"},
		{"a\nb", "x\ny", "x\ny"},
		{"a\r\nb", "xy", "xy"},
	} {
		if got := matchLineEndings(c.doc, c.in); got != c.want {
			t.Errorf("matchLineEndings(%q, %q) = %q, want %q", c.doc, c.in, got, c.want)
		}
	}
}
