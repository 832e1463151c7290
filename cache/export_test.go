package cache

// Test helpers for package cache_test.
type GateProxy = gateProxy

var NewGateProxy = newGateProxy
