package cache

import (
	"io"
	"net"
	"sync"
	"testing"
)

// gateProxy listens on 127.0.0.1 and does with each connection what its mode says when the
// connection arrives or the mode changes: hold it (a dial and handshake that has not finished,
// for as long as the test wants: no wall-clock window), forward it to the server, or hang up
// (a dial that fails). It stops at cleanup, closing every connection.
type gateProxy struct {
	Port int
	addr string

	mu      sync.Mutex
	mode    proxyMode
	changed chan struct{} // closed when the mode changes
	conns   []net.Conn
	stop    chan struct{}
	wg      sync.WaitGroup
}

type proxyMode int

const (
	proxyHold proxyMode = iota
	proxyForward
	proxyHangUp
)

// newGateProxy starts a proxy to addr that holds connections.
func newGateProxy(t testing.TB, addr string) *gateProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &gateProxy{Port: l.Addr().(*net.TCPAddr).Port, addr: addr, changed: make(chan struct{}), stop: make(chan struct{})}
	t.Cleanup(func() {
		close(p.stop)
		l.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.track(c)
			p.wg.Add(1)
			go func() { defer p.wg.Done(); p.serve(c) }()
		}
	}()
	return p
}

// Hold, Forward and HangUp set the mode for held and new connections.
func (p *gateProxy) Hold()    { p.set(proxyHold) }
func (p *gateProxy) Forward() { p.set(proxyForward) }
func (p *gateProxy) HangUp()  { p.set(proxyHangUp) }

func (p *gateProxy) set(m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *gateProxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, c)
}

func (p *gateProxy) serve(c net.Conn) {
	for {
		p.mu.Lock()
		mode, changed := p.mode, p.changed
		p.mu.Unlock()
		switch mode {
		case proxyHangUp:
			c.Close()
			return
		case proxyForward:
			up, err := net.Dial("tcp", p.addr)
			if err != nil {
				c.Close()
				return
			}
			p.track(up)
			p.wg.Add(1)
			go func() { defer p.wg.Done(); _, _ = io.Copy(up, c); up.Close() }()
			_, _ = io.Copy(c, up)
			c.Close()
			return
		}
		select {
		case <-changed:
		case <-p.stop:
			return
		}
	}
}
