// Package pki makes a throwaway certificate authority with a server and a
// client certificate, for tests and interop runs of the TLS and WebSocket
// transports (Go and Qt peers alike read the PEM files it writes).
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI is a certificate authority and two certificates it signed: one for
// servers (valid for the hosts given to New) and one for clients.
type PKI struct {
	CA     *x509.Certificate
	Pool   *x509.CertPool // holds CA only
	Server tls.Certificate
	Client tls.Certificate

	caPEM, serverPEM, serverKey, clientPEM, clientKey []byte
}

// New makes a CA and its server and client certificates, valid from an
// hour ago for a day; the server's names hosts (IP addresses or DNS
// names; default 127.0.0.1, ::1 and localhost). Keys are ECDSA P-256,
// which Qt 5.15 and Qt 6 read.
func New(hosts ...string) (*PKI, error) {
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1", "::1", "localhost"}
	}
	caKey, caDER, err := makeCert("qtro test CA", nil, nil, nil, func(t *x509.Certificate) {
		t.IsCA, t.BasicConstraintsValid = true, true
		t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	})
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	p := &PKI{CA: ca, Pool: x509.NewCertPool()}
	p.Pool.AddCert(ca)
	p.caPEM = pemBlock("CERTIFICATE", caDER)
	var key *ecdsa.PrivateKey
	var der []byte
	if key, der, err = makeCert("qtro test server", ca, caKey, hosts, func(t *x509.Certificate) {
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}); err != nil {
		return nil, err
	}
	if p.Server, p.serverPEM, p.serverKey, err = pair(key, der); err != nil {
		return nil, err
	}
	if key, der, err = makeCert("qtro test client", ca, caKey, nil, func(t *x509.Certificate) {
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}); err != nil {
		return nil, err
	}
	if p.Client, p.clientPEM, p.clientKey, err = pair(key, der); err != nil {
		return nil, err
	}
	return p, nil
}

// ServerConfig is a listener's TLS configuration: the server certificate,
// and with mutual set, client certificates signed by the CA required.
func (p *PKI) ServerConfig(mutual bool) *tls.Config {
	c := &tls.Config{Certificates: []tls.Certificate{p.Server}, MinVersion: tls.VersionTLS12}
	if mutual {
		c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, p.Pool
	}
	return c
}

// ClientConfig is a dialer's TLS configuration: the CA as the only root,
// and the client certificate (offered when a server asks).
func (p *PKI) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: p.Pool, Certificates: []tls.Certificate{p.Client}, MinVersion: tls.VersionTLS12}
}

// Files are the PEM files WriteFiles wrote.
type Files struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
}

// WriteFiles writes ca.pem, server.pem, server.key, client.pem and
// client.key into dir (keys readable by the owner only).
func (p *PKI) WriteFiles(dir string) (Files, error) {
	f := Files{
		CA: filepath.Join(dir, "ca.pem"), ServerCert: filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server.key"),
		ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client.key"),
	}
	for _, w := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{{f.CA, p.caPEM, 0o644}, {f.ServerCert, p.serverPEM, 0o644}, {f.ServerKey, p.serverKey, 0o600}, {f.ClientCert, p.clientPEM, 0o644}, {f.ClientKey, p.clientKey, 0o600}} {
		if err := os.WriteFile(w.path, w.data, w.mode); err != nil {
			return Files{}, err
		}
	}
	return f, nil
}

func makeCert(cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, hosts []string, edit func(*x509.Certificate)) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	t := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"qtro"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			t.IPAddresses = append(t.IPAddresses, ip)
		} else {
			t.DNSNames = append(t.DNSNames, h)
		}
	}
	edit(t)
	if parent == nil {
		parent, parentKey = t, key
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %s: %w", cn, err)
	}
	return key, der, nil
}

func pair(key *ecdsa.PrivateKey, der []byte) (tls.Certificate, []byte, []byte, error) {
	kd, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	certPEM, keyPEM := pemBlock("CERTIFICATE", der), pemBlock("EC PRIVATE KEY", kd)
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	return c, certPEM, keyPEM, err
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
