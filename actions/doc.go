// Package actions makes the AI code actions (rewrite, document, fix, implement, tests,
// explain): a catalogue answered without the model, prompts for the action model, and the
// parsing of its answers into minimal edits. It sits beside completion, above model and cache.
package actions
