package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/leaseapi"
	"github.com/hypha-network/hypha/agent/tenant"
	"github.com/hypha-network/hypha/testutil/e2e"
	"github.com/hypha-network/hypha/testutil/netutil"
)

// TestDevnetProviderAcceptsDeployments checks that `hyphad devnet` starts a
// provider agent of its own, so a deployment works with no other setup: the
// web example deploys, answers, shows its logs through `hyphad lease logs`, and
// `hyphad lease close` stops it.
func TestDevnetProviderAcceptsDeployments(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is needed for the workload of this test")
	}
	d := e2e.StartDevnetWith(t, "--demo=false", "--provider-port", strconv.Itoa(netutil.FreePort(t)))
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(d.Output(), "Provider agent provider1") {
		if time.Now().After(deadline) || strings.Contains(d.Output(), "Provider agent stopped") {
			t.Fatalf("the devnet's provider agent did not start:\n%s", d.Output())
		}
		time.Sleep(time.Second)
	}
	app, err := filepath.Abs("../../examples/deploy/web.yaml")
	provMust(t, err)
	var dep deployJSON
	var out []byte
	// The agent registers its provider on chain right after it starts.
	for i := 0; ; i++ {
		out, err = d.TryCLI("deploy", app, "--deposit", "10000000uhyp", "--from", "alice", "--json", "--timeout", "2m")
		if err == nil || i == 5 {
			break
		}
		time.Sleep(3 * time.Second)
	}
	if err != nil {
		t.Fatalf("deploy: %v\n%s", err, d.Output())
	}
	provMust(t, json.Unmarshal(out, &dep))
	if dep.Provider != d.Address(t, "provider1") || len(dep.Status.Services) != 1 {
		t.Fatalf("deploy result: %+v", dep)
	}
	endpoint := "http://" + dep.Status.Services[0].Endpoints["8080"] + "/index.html"
	if body := provWaitHTTP(t, endpoint); strings.TrimSpace(body) != "hello from hypha" {
		t.Fatalf("endpoint %s answered %q", endpoint, body)
	}
	id := strconv.FormatUint(dep.Lease, 10)
	if logs := string(d.CLI(t, "lease", "logs", id, "--from", "alice")); !strings.Contains(logs, "GET /index.html") {
		t.Fatalf("lease logs:\n%s", logs)
	}

	// Update the running lease: the new manifest replaces the workload on the
	// same endpoint. An update this runtime cannot run is refused and the
	// previous manifest keeps running.
	manifest, err := os.ReadFile(app)
	provMust(t, err)
	dir := t.TempDir()
	updated := filepath.Join(dir, "updated.yaml")
	provMust(t, os.WriteFile(updated, []byte(strings.Replace(string(manifest), "echo hello from hypha", "echo hello again from hypha", 1)), 0o600))
	// A signed PUT of the current manifest, captured before the update, is
	// replayed after it (the devnet finding: the replay rolled the lease back).
	replay := signedManifestPUT(t, d, dep.Provider, dep.Lease, manifest)
	if code, msg := replay(); code != http.StatusOK {
		t.Fatalf("the genuine manifest PUT answered %d: %s", code, msg)
	}
	d.CLI(t, "lease", "manifest", id, updated, "--from", "alice")
	if body, _ := netutil.Get(endpoint); strings.TrimSpace(body) != "hello again from hypha" {
		deadline := time.Now().Add(20 * time.Second)
		for strings.TrimSpace(body) != "hello again from hypha" {
			if time.Now().After(deadline) {
				t.Fatalf("after the update %s answered %q", endpoint, body)
			}
			time.Sleep(250 * time.Millisecond)
			body, _ = netutil.Get(endpoint)
		}
	}
	if code, msg := replay(); code != http.StatusUnauthorized || !strings.Contains(msg, "already used") {
		t.Fatalf("the replayed manifest PUT answered %d: %s", code, msg)
	}
	time.Sleep(2 * time.Second)
	if body := provWaitHTTP(t, endpoint); strings.TrimSpace(body) != "hello again from hypha" {
		t.Fatalf("after the refused replay %s answered %q: the deployment was rolled back", endpoint, body)
	}
	command := regexp.MustCompile(`(?m)^    command: .*$`)
	for _, tc := range []struct{ name, service, want string }{
		// Refused before anything stops.
		{"image-only", "    image: hypha-example-web:1", "give a command"},
		// Refused when the new instance fails to start: the old one comes back.
		{"missing-program", `    command: ["/nonexistent/program"]`, "the previous manifest runs again"},
	} {
		bad := filepath.Join(dir, tc.name+".yaml")
		provMust(t, os.WriteFile(bad, []byte(command.ReplaceAllLiteralString(string(manifest), tc.service)), 0o600))
		if out, err := d.TryCLI("lease", "manifest", id, bad, "--from", "alice"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s update: %v\n%s", tc.name, err, out)
		}
		if body := provWaitHTTP(t, endpoint); strings.TrimSpace(body) != "hello again from hypha" {
			t.Fatalf("after the refused %s update %s answered %q", tc.name, endpoint, body)
		}
	}

	closed := string(d.CLI(t, "lease", "close", id, "--from", "alice"))
	if !strings.Contains(closed, "lease "+id+" closed in block") || !strings.Contains(closed, "uhyp refunded") {
		t.Fatalf("lease close did not print its outcome:\n%s", closed)
	}
	var lease struct {
		Lease struct {
			State       string `json:"state"`
			CloseReason string `json:"close_reason"`
		} `json:"lease"`
	}
	d.QueryJSON(t, &lease, "q", "market", "lease", id)
	if lease.Lease.State != "LEASE_STATE_CLOSED" || lease.Lease.CloseReason != "CLOSE_REASON_TENANT_CLOSED" {
		t.Fatalf("after the tenant's close the lease is %+v, want closed by the tenant", lease.Lease)
	}
	for i := 0; i < 30; i++ {
		if _, err := netutil.Get(endpoint); err != nil {
			return // the workload stopped
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("the workload at %s still answers after the lease was closed", endpoint)
}

// signedManifestPUT signs one manifest PUT for lease id as alice, for the
// provider (address) serving it, and returns a function that sends that same
// request (same headers, same nonce) over the pinned TLS connection and
// returns the status and body.
func signedManifestPUT(t *testing.T, d *e2e.Devnet, provider string, id uint64, manifest []byte) func() (int, string) {
	t.Helper()
	ctx := context.Background()
	c, err := chainclient.New(chainclient.Config{Home: d.Home, Key: "alice", Node: d.RPCURL()})
	provMust(t, err)
	p, err := c.Provider(ctx, provider)
	provMust(t, err)
	kr, err := auth.OpenKeyring(d.Home, "test")
	provMust(t, err)
	signer, err := auth.NewKeyringSigner(kr, "alice")
	provMust(t, err)
	lc := tenant.NewClient(p.HostUri, p.TlsFingerprint, provider, signer)
	url := lc.BaseURL + leaseapi.ManifestPath(id)
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(manifest))
	provMust(t, err)
	provMust(t, auth.SignRequest(signer, req, manifest, provider, time.Now()))
	return func() (int, string) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(manifest))
		provMust(t, err)
		r.Header = req.Header.Clone()
		resp, err := lc.HTTP.Do(r)
		provMust(t, err)
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(msg)
	}
}
