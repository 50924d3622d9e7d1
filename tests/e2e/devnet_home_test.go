package e2e_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hypha-network/hypha/testutil/e2e"
	"github.com/hypha-network/hypha/testutil/netutil"
)

// runHyphad runs the binary with args and stdin from /dev/null (not a terminal),
// and returns its combined output and exit error.
func runHyphad(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("hyphad %v did not exit within 60s:\n%s", args, out.String())
	}
	return out.String(), err
}

// snapshot returns the contents of every regular file under dir/config.
func snapshot(t *testing.T, home string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(filepath.Join(home, "config"), func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		bz, err := os.ReadFile(path)
		files[path] = bz
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func otherPorts(t *testing.T) []string {
	return []string{"--rpc-port", strconv.Itoa(netutil.FreePort(t)), "--p2p-port", strconv.Itoa(netutil.FreePort(t)),
		"--grpc-port", strconv.Itoa(netutil.FreePort(t)), "--api-port", strconv.Itoa(netutil.FreePort(t)),
		"--demo=false", "--provider=false"}
}

func TestDevnetHomeSafety(t *testing.T) {
	d := e2e.StartDevnet(t)
	before := snapshot(t, d.Home)
	clientTOML := filepath.Join(d.Home, "config", "client.toml")
	if len(before[clientTOML]) == 0 {
		t.Fatal("running devnet has no client.toml")
	}
	inUse := regexp.MustCompile(`devnet already running on this home \(pid [1-9][0-9]*\).*stop it or use --home DIR`)

	t.Run("second devnet on the same home fails and changes nothing", func(t *testing.T) {
		for _, extra := range [][]string{nil, {"--reset", "--yes"}} {
			args := append(append([]string{"devnet", "--home", d.Home}, otherPorts(t)...), extra...)
			start := time.Now()
			out, err := runHyphad(t, d.Bin, args...)
			if err == nil || !inUse.MatchString(out) {
				t.Fatalf("second devnet %v: err=%v, output:\n%s", extra, err, out)
			}
			if time.Since(start) > 20*time.Second {
				t.Fatalf("second devnet took %s to fail: it should fail at once", time.Since(start))
			}
			after := snapshot(t, d.Home)
			if len(after) != len(before) {
				t.Fatalf("config files changed: %d before, %d after", len(before), len(after))
			}
			for path, bz := range before {
				if !bytes.Equal(after[path], bz) {
					t.Fatalf("%s changed:\nbefore:\n%s\nafter:\n%s", path, bz, after[path])
				}
			}
		}
		// The first devnet still works through its unchanged client.toml.
		d.WaitHeight(t, d.Height(t)+1)
		if addr := d.Address(t, "alice"); !strings.HasPrefix(addr, "hypha1") {
			t.Fatalf("alice address %q", addr)
		}
	})

	t.Run("a missing key names the keyring and the fix", func(t *testing.T) {
		_, err := d.TryTx("bank", "send", "nobody", d.Address(t, "bob"), "1uhyp")
		if err == nil {
			t.Fatal("send from a missing key succeeded")
		}
		msg := err.Error()
		want := `key "nobody" not found in ` + d.Home + " (backend test); list keys with `hyphad keys list --home " + d.Home + "`"
		if !strings.Contains(msg, want) || strings.Contains(msg, ".go:") || strings.Count(msg, "Error:") != 1 {
			t.Fatalf("error output %q\nwant it to contain %q once, without source paths", msg, want)
		}
	})

	d.Stop(t)

	t.Run("reset needs --yes without a terminal", func(t *testing.T) {
		out, err := runHyphad(t, d.Bin, append([]string{"devnet", "--home", d.Home, "--reset"}, otherPorts(t)...)...)
		if err == nil || !strings.Contains(out, "pass --yes") {
			t.Fatalf("reset without --yes: err=%v, output:\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join(d.Home, "config", "genesis.json")); err != nil {
			t.Fatalf("reset without --yes deleted the devnet: %v", err)
		}
	})

	t.Run("reset refuses a directory that is not a devnet", func(t *testing.T) {
		dir := t.TempDir()
		keep := filepath.Join(dir, "thesis.tex")
		if err := os.WriteFile(keep, []byte("years of work"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := runHyphad(t, d.Bin, append([]string{"devnet", "--home", dir, "--reset", "--yes"}, otherPorts(t)...)...)
		if err == nil || !strings.Contains(out, "does not look like") && !strings.Contains(out, "not a devnet home") {
			t.Fatalf("reset of a non-devnet: err=%v, output:\n%s", err, out)
		}
		if _, err := os.Stat(keep); err != nil {
			t.Fatalf("reset deleted a file in a non-devnet directory: %v", err)
		}
	})

	t.Run("corrupt home suggests a reset of that home", func(t *testing.T) {
		if err := os.Remove(filepath.Join(d.Home, "config", "node_key.json")); err != nil {
			t.Fatal(err)
		}
		out, err := runHyphad(t, d.Bin, append([]string{"devnet", "--home", d.Home}, otherPorts(t)...)...)
		if err == nil || !strings.Contains(out, "hyphad devnet --reset --home "+d.Home) {
			t.Fatalf("corrupt home: err=%v, output:\n%s", err, out)
		}
	})
}
