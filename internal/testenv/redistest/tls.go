package redistest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// StartTLS runs a redis-server that speaks only TLS (--port 0, --tls-port PORT) with a
// certificate for localhost, 127.0.0.1 and ::1 signed by a test CA (s.CAFile). Clients are not
// asked for certificates. Debian's redis-server is built with TLS (it links libssl).
//
// Every TLS server of a test process shares one CA: Go loads the system roots (and so
// SSL_CERT_FILE) once per process, so a second CA would not be trusted by a second test.
func StartTLS(t testing.TB, extra ...string) *Server {
	t.Helper()
	binary(t, "redis-server")
	pki, err := testPKI()
	if err != nil {
		t.Fatalf("test certificates: %v", err)
	}
	s := &Server{Port: freePort(t), Dir: t.TempDir(), tls: true}
	files := map[string][]byte{"ca.pem": pki.ca, "server.pem": pki.cert, "server.key": pki.key}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.CAFile = filepath.Join(s.Dir, "ca.pem")
	// "-::1": also listen on IPv6 loopback when there is one, so "localhost" connects at once
	// whichever address it resolves to first.
	s.args = append([]string{"--port", "0", "--tls-port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "-::1",
		"--tls-cert-file", filepath.Join(s.Dir, "server.pem"), "--tls-key-file", filepath.Join(s.Dir, "server.key"),
		"--tls-ca-cert-file", s.CAFile, "--tls-auth-clients", "no",
		"--save", "", "--appendonly", "no", "--dir", s.Dir, "--protected-mode", "no"}, extra...)
	s.start(t)
	t.Cleanup(s.Kill)
	return s
}

// pemPKI is a CA certificate and a server certificate + key it signed, all PEM.
type pemPKI struct{ ca, cert, key []byte }

var (
	pkiOnce sync.Once
	pkiVal  pemPKI
	pkiErr  error
)

func testPKI() (pemPKI, error) {
	pkiOnce.Do(func() { pkiVal, pkiErr = newPKI() })
	return pkiVal, pkiErr
}

func newPKI() (pemPKI, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return pemPKI{}, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mimi-lsp test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(48 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return pemPKI{}, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return pemPKI{}, err
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return pemPKI{}, err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(48 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		return pemPKI{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		return pemPKI{}, err
	}
	return pemPKI{
		ca:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		key:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}
