// Package devnet creates and checks the home directory of a local single-validator
// Hypha network: keys, genesis, node configuration and the client settings that let
// the CLI talk to it.
package devnet

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	sdkmath "cosmossdk.io/math"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cosmos/go-bip39"

	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/hypha-network/hypha/app"
)

// ChainID is the chain id of every devnet.
const ChainID = "hypha-devnet-1"

// Moniker is the devnet validator's node name.
const Moniker = "devnet-validator"

var (
	// ErrCorruptHome means the home directory exists but is not a usable devnet.
	ErrCorruptHome = errors.New("devnet home is incomplete or corrupt")
	// ErrPortInUse means a port the devnet needs is taken.
	ErrPortInUse = errors.New("port already in use")
)

// Accounts are the funded keys every devnet creates, in this order. The devnet's
// own agents use provider1 (the provider agent) and miner1..3 (the demo miners);
// the others are free for the user.
var Accounts = []string{"validator", "alice", "bob", "carol", "provider1", "provider2", "miner1", "miner2", "miner3"}

// AccountBalance is what each devnet account holds at genesis: 1,000,000 HYP.
var AccountBalance = sdkmath.NewInt(1_000_000_000_000)

// SelfBond is the validator's genesis self-delegation: 10,000 HYP.
var SelfBond = sdkmath.NewInt(10_000_000_000)

// Ports are the loopback ports a devnet listens on.
type Ports struct {
	RPC  int // CometBFT RPC
	P2P  int // CometBFT peer-to-peer
	GRPC int // Cosmos gRPC
	API  int // Cosmos REST
}

// DefaultPorts are the standard Cosmos ports.
var DefaultPorts = Ports{RPC: 26657, P2P: 26656, GRPC: 9090, API: 1317}

// Host is the address every devnet service binds: loopback only.
const Host = "127.0.0.1"

// RPCAddress returns the CometBFT RPC URL for ports.
func (p Ports) RPCAddress() string { return "tcp://" + net.JoinHostPort(Host, strconv.Itoa(p.RPC)) }

// P2PAddress returns the CometBFT p2p listen address for ports.
func (p Ports) P2PAddress() string { return "tcp://" + net.JoinHostPort(Host, strconv.Itoa(p.P2P)) }

// GRPCAddress returns the gRPC listen address for ports.
func (p Ports) GRPCAddress() string { return net.JoinHostPort(Host, strconv.Itoa(p.GRPC)) }

// APIAddress returns the REST listen address for ports.
func (p Ports) APIAddress() string { return "tcp://" + net.JoinHostPort(Host, strconv.Itoa(p.API)) }

// Check returns ErrPortInUse, naming the port and its role, if any port is taken.
func (p Ports) Check() error {
	for _, port := range []struct {
		name string
		n    int
	}{{"rpc", p.RPC}, {"p2p", p.P2P}, {"grpc", p.GRPC}, {"api", p.API}} {
		if err := CheckPorts(port.name, "--"+port.name+"-port", port.n); err != nil {
			return err
		}
	}
	return nil
}

// CheckPorts returns ErrPortInUse if any of ports on Host is taken; role and
// flag name what uses them and how to move it.
func CheckPorts(role, flag string, ports ...int) error {
	for _, n := range ports {
		addr := net.JoinHostPort(Host, strconv.Itoa(n))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("%w: %s port %s (is another devnet or node running? stop it, or pass %s): %v",
				ErrPortInUse, role, addr, flag, err)
		}
		l.Close()
	}
	return nil
}

// Mnemonic returns the fixed mnemonic of a devnet account. Devnet keys are derived
// from their names so that addresses stay the same across resets; they are public
// and must never hold anything of value.
func Mnemonic(name string) string {
	entropy := sha256.Sum256([]byte("hypha devnet key: " + name))
	m, err := bip39.NewMnemonic(entropy[:])
	if err != nil {
		panic(err) // 32 bytes is always valid entropy
	}
	return m
}

// Exists reports whether home holds a devnet. It returns ErrCorruptHome when home
// holds part of one (for example an interrupted first start).
func Exists(home string) (bool, error) {
	empty, err := IsEmptyHome(home)
	if err != nil || empty {
		return false, err
	}
	for _, f := range []string{
		"config/genesis.json", "config/config.toml", "config/app.toml", "config/client.toml",
		"config/priv_validator_key.json", "config/node_key.json", "data/priv_validator_state.json",
	} {
		if _, err := os.Stat(filepath.Join(home, f)); err != nil {
			return false, fmt.Errorf("%w: %s: %s is missing", ErrCorruptHome, home, f)
		}
	}
	gen, err := genutiltypes.AppGenesisFromFile(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		return false, fmt.Errorf("%w: %s: genesis: %v", ErrCorruptHome, home, err)
	}
	if gen.ChainID != ChainID {
		return false, fmt.Errorf("%w: %s holds chain %q, not a devnet", ErrCorruptHome, home, gen.ChainID)
	}
	return true, nil
}

// IsEmptyHome reports whether home is missing or holds nothing but the lock file.
func IsEmptyHome(home string) (bool, error) {
	entries, err := os.ReadDir(home)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("read devnet home %s: %w", home, err)
	}
	for _, e := range entries {
		if e.Name() != LockFile {
			return false, nil
		}
	}
	return true, nil
}

// Init creates a new devnet in home, which must be missing or empty (apart from
// the lock file): node keys, the funded test keyring, genesis with the validator's
// gentx, and config files for ports. It writes into a temporary directory beside
// home and then renames its few top-level entries into home, so an interrupted
// Init leaves at most a home that Exists reports as corrupt, never one that looks
// complete. (The home itself is not replaced, because it holds the lock.)
func Init(home string, ports Ports, enc app.EncodingConfig, basics module.BasicManager) error {
	if empty, err := IsEmptyHome(home); err != nil {
		return err
	} else if !empty {
		return fmt.Errorf("devnet home %s is not empty: run with --reset or pick another --home", home)
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("create devnet home %s: %w", home, err)
	}
	// The home holds the validator's and the accounts' keys: private. (The
	// provider's process runtime adds search-only o+x on the way to its
	// workloads.)
	if err := os.Chmod(home, 0o700); err != nil {
		return fmt.Errorf("devnet home %s: %w", home, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(home), "."+filepath.Base(home)+".init-")
	if err != nil {
		return fmt.Errorf("create devnet home: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := initIn(tmp, ports, enc, basics); err != nil {
		return err
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("read new devnet home: %w", err)
	}
	// config/ last: it holds the files Exists checks first, so a home that got
	// only part of the entries reads as corrupt rather than as a devnet.
	sort.SliceStable(entries, func(i, j int) bool { return entries[j].Name() == "config" && entries[i].Name() != "config" })
	for _, e := range entries {
		if err := os.Rename(filepath.Join(tmp, e.Name()), filepath.Join(home, e.Name())); err != nil {
			return fmt.Errorf("move devnet %s into place: %w", e.Name(), err)
		}
	}
	return nil
}

// LooksLikeDevnet reports whether home holds a config/genesis.json whose chain id
// is ChainID. It reads only that field, so it still recognises a devnet whose
// other files are damaged: this is what makes --reset safe to offer.
func LooksLikeDevnet(home string) bool {
	bz, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		return false
	}
	var gen struct {
		ChainID string `json:"chain_id"`
	}
	return json.Unmarshal(bz, &gen) == nil && gen.ChainID == ChainID
}

// CanReset returns ErrNotDevnetHome unless home is empty (see IsEmptyHome) or
// LooksLikeDevnet. Callers that ask the user first check it before asking.
func CanReset(home string) error {
	empty, err := IsEmptyHome(home)
	if err != nil || empty {
		return err
	}
	if !LooksLikeDevnet(home) {
		return fmt.Errorf("%w: refusing to reset %s: it has no config/genesis.json with chain id %s; "+
			"delete it yourself if you mean to, or pick another --home", ErrNotDevnetHome, home, ChainID)
	}
	return nil
}

// ErrNotDevnetHome means a directory given to Reset is neither empty nor a devnet.
var ErrNotDevnetHome = errors.New("not a devnet home")

// Reset deletes everything in home except the lock file, which the caller holds
// (see Lock). It refuses, with ErrNotDevnetHome, a directory that is neither empty
// nor LooksLikeDevnet, so that a mistyped --home cannot wipe something else.
func Reset(home string) error {
	if err := CanReset(home); err != nil {
		return err
	}
	entries, err := os.ReadDir(home)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read devnet home %s: %w", home, err)
	}
	for _, e := range entries {
		if e.Name() == LockFile {
			continue
		}
		if err := os.RemoveAll(filepath.Join(home, e.Name())); err != nil {
			return fmt.Errorf("reset devnet: %w", err)
		}
	}
	return nil
}

func initIn(home string, ports Ports, enc app.EncodingConfig, basics module.BasicManager) error {
	for _, dir := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(home, dir), 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	cmtCfg := NodeConfig(home, ports)
	_, valPubKey, err := genutil.InitializeNodeValidatorFiles(cmtCfg)
	if err != nil {
		return fmt.Errorf("create validator keys: %w", err)
	}

	kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, home, nil, enc.Codec)
	if err != nil {
		return fmt.Errorf("open keyring: %w", err)
	}
	genesis := app.DefaultGenesis(enc.Codec, basics)
	var (
		accounts []authtypes.GenesisAccount
		balances []banktypes.Balance
		valAddr  sdk.AccAddress
	)
	coins := sdk.NewCoins(sdk.NewCoin(app.BondDenom, AccountBalance))
	for _, name := range Accounts {
		rec, err := kr.NewAccount(name, Mnemonic(name), "", sdk.FullFundraiserPath, hd.Secp256k1)
		if err != nil {
			return fmt.Errorf("create key %s: %w", name, err)
		}
		addr, err := rec.GetAddress()
		if err != nil {
			return fmt.Errorf("key %s address: %w", name, err)
		}
		if name == "validator" {
			valAddr = addr
		}
		accounts = append(accounts, authtypes.NewBaseAccount(addr, nil, 0, 0))
		balances = append(balances, banktypes.Balance{Address: addr.String(), Coins: coins})
	}

	var (
		authGen    authtypes.GenesisState
		bankGen    banktypes.GenesisState
		govGen     govv1.GenesisState
		stakingGen stakingtypes.GenesisState
	)
	if err := genesis.Update(enc.Codec, authtypes.ModuleName, &authGen, func() error {
		packed, err := authtypes.PackAccounts(accounts)
		authGen.Accounts = append(authGen.Accounts, packed...)
		return err
	}); err != nil {
		return err
	}
	if err := genesis.Update(enc.Codec, banktypes.ModuleName, &bankGen, func() error {
		bankGen.Balances = append(bankGen.Balances, balances...)
		return nil
	}); err != nil {
		return err
	}
	// Short governance and unbonding periods, so that parameter changes and
	// unbonding can be tried in minutes on a devnet.
	if err := genesis.Update(enc.Codec, govtypes.ModuleName, &govGen, func() error {
		voting, expedited := 60*time.Second, 30*time.Second
		govGen.Params.VotingPeriod = &voting
		govGen.Params.ExpeditedVotingPeriod = &expedited
		return nil
	}); err != nil {
		return err
	}
	if err := genesis.Update(enc.Codec, stakingtypes.ModuleName, &stakingGen, func() error {
		stakingGen.Params.UnbondingTime = 10 * time.Minute
		return nil
	}); err != nil {
		return err
	}

	genTx, err := validatorGenTx(kr, enc, valAddr, valPubKey)
	if err != nil {
		return err
	}
	appState, err := genutil.SetGenTxsInAppGenesisState(enc.Codec, enc.TxConfig.TxJSONEncoder(), genesis, []sdk.Tx{genTx})
	if err != nil {
		return fmt.Errorf("add validator gentx: %w", err)
	}
	appStateJSON, err := json.MarshalIndent(appState, "", "  ")
	if err != nil {
		return fmt.Errorf("encode genesis: %w", err)
	}
	gen := genutiltypes.NewAppGenesisWithVersion(ChainID, appStateJSON)
	gen.GenesisTime = time.Now().UTC().Truncate(time.Second)
	// Hypha's block gas limit (CometBFT's default, -1, is unlimited).
	gen.Consensus.Params = app.DefaultConsensusParams()
	if err := gen.ValidateAndComplete(); err != nil {
		return fmt.Errorf("validate genesis: %w", err)
	}
	if err := gen.SaveAs(cmtCfg.GenesisFile()); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}

	cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cmtCfg)
	serverconfig.SetConfigTemplate(app.ConfigTemplate)
	serverconfig.WriteConfigFile(filepath.Join(home, "config", "app.toml"), AppConfig(ports))
	return WriteClientConfig(home, ports)
}

// NodeConfig returns the CometBFT configuration of a devnet node: one-second
// blocks, loopback-only listeners, no peers.
func NodeConfig(home string, ports Ports) *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	cfg.SetRoot(home)
	cfg.Moniker = Moniker
	cfg.Consensus.TimeoutCommit = time.Second
	cfg.Consensus.TimeoutPropose = 2 * time.Second
	cfg.RPC.ListenAddress = ports.RPCAddress()
	cfg.RPC.CORSAllowedOrigins = []string{"*"}
	cfg.RPC.PprofListenAddress = ""
	cfg.P2P.ListenAddress = ports.P2PAddress()
	cfg.P2P.AddrBookStrict = false
	cfg.P2P.PexReactor = false
	cfg.ProxyApp = "tcp://" + net.JoinHostPort(Host, "0")
	cfg.Instrumentation.Prometheus = false
	app.SetMempoolLimits(cfg)
	return cfg
}

// InvariantCheckPeriod is how often a devnet node checks the invariants.
const InvariantCheckPeriod = 10

// AppConfig returns the app.toml of a devnet node: REST and gRPC on loopback,
// zero gas prices (the devnet starts its node with --allow-zero-gas-prices),
// invariants checked every InvariantCheckPeriod blocks.
func AppConfig(ports Ports) *app.Config {
	cfg := app.DefaultConfig()
	cfg.Hypha.InvariantCheckPeriod = InvariantCheckPeriod
	cfg.API.Enable = true
	cfg.API.EnableUnsafeCORS = true
	cfg.API.Address = ports.APIAddress()
	cfg.GRPC.Enable = true
	cfg.GRPC.Address = ports.GRPCAddress()
	return cfg
}

// WriteClientConfig writes the home's client.toml so that `hyphad --home HOME …`
// reaches this devnet with its test keyring and chain id, without more flags.
func WriteClientConfig(home string, ports Ports) error {
	content := fmt.Sprintf(`# Written by hyphad devnet at every start: edits are overwritten.
chain-id = %q
keyring-backend = "test"
keyring-default-keyname = ""
output = "text"
node = %q
broadcast-mode = "sync"
`, ChainID, ports.RPCAddress())
	path := filepath.Join(home, "config", "client.toml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("write client config: %w", err)
	}
	return nil
}

func validatorGenTx(kr keyring.Keyring, enc app.EncodingConfig, addr sdk.AccAddress, pubKey cryptotypes.PubKey) (sdk.Tx, error) {
	msg, err := stakingtypes.NewMsgCreateValidator(
		sdk.ValAddress(addr).String(),
		pubKey,
		sdk.NewCoin(app.BondDenom, SelfBond),
		stakingtypes.NewDescription(Moniker, "", "", "", "Hypha local development validator"),
		stakingtypes.NewCommissionRates(sdkmath.LegacyNewDecWithPrec(5, 2), sdkmath.LegacyNewDecWithPrec(20, 2), sdkmath.LegacyNewDecWithPrec(1, 2)),
		sdkmath.OneInt(),
	)
	if err != nil {
		return nil, fmt.Errorf("validator message: %w", err)
	}
	builder := enc.TxConfig.NewTxBuilder()
	if err := builder.SetMsgs(msg); err != nil {
		return nil, fmt.Errorf("validator gentx: %w", err)
	}
	builder.SetGasLimit(1_000_000)
	factory := tx.Factory{}.WithChainID(ChainID).WithKeybase(kr).WithTxConfig(enc.TxConfig)
	if err := tx.Sign(context.Background(), factory, "validator", builder, true); err != nil {
		return nil, fmt.Errorf("sign validator gentx: %w", err)
	}
	return builder.GetTx(), nil
}
