package redistest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// DelayProxy listens on 127.0.0.1 and forwards each connection to addr after holding it for
// delay: a connection (and a TLS handshake) through it takes at least delay, as with a remote
// or loaded Redis, while commands on an established connection are not slowed. It returns the
// proxy's port; it stops at cleanup.
func DelayProxy(t testing.TB, addr string, delay time.Duration) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	track := func(c net.Conn) {
		mu.Lock()
		defer mu.Unlock()
		conns = append(conns, c)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			track(c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case <-time.After(delay):
				case <-done:
					return
				}
				up, err := net.Dial("tcp", addr)
				if err != nil {
					c.Close()
					return
				}
				track(up)
				wg.Add(2)
				go func() { defer wg.Done(); _, _ = io.Copy(up, c); up.Close() }()
				go func() { defer wg.Done(); _, _ = io.Copy(c, up); c.Close() }()
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}
