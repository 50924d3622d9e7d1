package devnet_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"cosmossdk.io/log"
	dbm "github.com/cosmos/cosmos-db"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	"github.com/cosmos/go-bip39"

	"github.com/hypha-network/hypha/app"
	"github.com/hypha-network/hypha/devnet"
)

func TestMnemonicIsStableAndValid(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range devnet.Accounts {
		m := devnet.Mnemonic(name)
		if m != devnet.Mnemonic(name) {
			t.Fatalf("%s: mnemonic is not deterministic", name)
		}
		if !bip39.IsMnemonicValid(m) {
			t.Fatalf("%s: invalid mnemonic", name)
		}
		if seen[m] {
			t.Fatalf("%s: mnemonic repeats another account's", name)
		}
		seen[m] = true
	}
}

func TestInitAndExists(t *testing.T) {
	home := filepath.Join(t.TempDir(), "devnet")
	if ok, err := devnet.Exists(home); ok || err != nil {
		t.Fatalf("Exists(missing) = %v, %v; want false, nil", ok, err)
	}
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.NewAppOptionsWithFlagHome(t.TempDir()))
	if err := devnet.Init(home, devnet.DefaultPorts, a.EncodingConfig(), a.BasicModuleManager); err != nil {
		t.Fatal(err)
	}
	if ok, err := devnet.Exists(home); !ok || err != nil {
		t.Fatalf("Exists(initialised) = %v, %v; want true, nil", ok, err)
	}
	// Init refuses to overwrite a devnet.
	if err := devnet.Init(home, devnet.DefaultPorts, a.EncodingConfig(), a.BasicModuleManager); err == nil {
		t.Fatal("Init over an existing devnet succeeded")
	}
	if err := os.Remove(filepath.Join(home, "config", "priv_validator_key.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := devnet.Exists(home); !errors.Is(err, devnet.ErrCorruptHome) {
		t.Fatalf("Exists(corrupt) error = %v, want ErrCorruptHome", err)
	}
	// No temporary directories are left beside the home.
	entries, err := os.ReadDir(filepath.Dir(home))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("parent holds %d entries, want only the home", len(entries))
	}
}

func TestPortsCheck(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	free := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	ports := devnet.Ports{RPC: free(), P2P: free(), GRPC: busy, API: free()}
	err = ports.Check()
	if !errors.Is(err, devnet.ErrPortInUse) {
		t.Fatalf("Check() = %v, want ErrPortInUse", err)
	}
	if want := strconv.Itoa(busy); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--grpc-port") {
		t.Fatalf("error %q does not name port %s and its flag", err, want)
	}
}
