//go:build ignore

// A file with a hole for `make run`: mimi-lsp complete examples/add.go:10:8
package main

import "fmt"

// add returns the sum of a and b.
func add(a, b int) int {
	return
}

func main() {
	fmt.Println(add(1, 2))
}
