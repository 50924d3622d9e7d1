package devnet_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hypha-network/hypha/devnet"
)

func TestLockIsExclusiveAndReleased(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	l, err := devnet.Lock(home)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file, so a second Lock in the same process
	// conflicts just as another process would.
	_, err = devnet.Lock(home)
	var inUse *devnet.HomeInUseError
	if !errors.As(err, &inUse) || !errors.Is(err, devnet.ErrHomeInUse) {
		t.Fatalf("second Lock = %v, want a *HomeInUseError", err)
	}
	if inUse.PID != os.Getpid() || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) ||
		!strings.Contains(err.Error(), "--home") {
		t.Fatalf("error %q does not name the holder's pid and --home", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := devnet.Lock(home)
	if err != nil {
		t.Fatalf("Lock after Release: %v", err)
	}
	defer l2.Release()
	// A home holding only the lock file is still a new home.
	if ok, err := devnet.Exists(home); ok || err != nil {
		t.Fatalf("Exists(lock only) = %v, %v; want false, nil", ok, err)
	}
}

func TestResetRefusesOtherDirectories(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := devnet.Reset(dir); !errors.Is(err, devnet.ErrNotDevnetHome) {
		t.Fatalf("Reset(non-devnet) = %v, want ErrNotDevnetHome", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatalf("Reset deleted a file it refused: %v", err)
	}
	// Another chain's home is not a devnet either.
	other := t.TempDir()
	writeGenesis(t, other, "mainnet-1")
	if err := devnet.Reset(other); !errors.Is(err, devnet.ErrNotDevnetHome) {
		t.Fatalf("Reset(other chain) = %v, want ErrNotDevnetHome", err)
	}
	// Empty and missing homes are fine: nothing to delete.
	if err := devnet.Reset(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if err := devnet.Reset(filepath.Join(dir, "missing")); err != nil {
		t.Fatal(err)
	}
}

func TestResetKeepsTheLock(t *testing.T) {
	home := t.TempDir()
	writeGenesis(t, home, devnet.ChainID) // a devnet home, even if damaged
	if err := os.MkdirAll(filepath.Join(home, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := devnet.Lock(home)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if !devnet.LooksLikeDevnet(home) {
		t.Fatal("LooksLikeDevnet = false for a home with the devnet genesis")
	}
	if err := devnet.Reset(home); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(home)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != devnet.LockFile {
		t.Fatalf("after Reset the home holds %v, want only %s", entries, devnet.LockFile)
	}
	// The lock is still held: resetting did not open the home to a second devnet.
	if _, err := devnet.Lock(home); !errors.Is(err, devnet.ErrHomeInUse) {
		t.Fatalf("Lock after Reset = %v, want ErrHomeInUse", err)
	}
}

func writeGenesis(t *testing.T, home, chainID string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	bz := []byte(`{"chain_id":"` + chainID + `","app_state":{}}`)
	if err := os.WriteFile(filepath.Join(home, "config", "genesis.json"), bz, 0o644); err != nil {
		t.Fatal(err)
	}
}
