package app

import (
	"os"
	"sync"

	"cosmossdk.io/log"
	dbm "github.com/cosmos/cosmos-db"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
)

var clientEnc = sync.OnceValue(func() EncodingConfig {
	// Module interfaces are registered by the module manager, which only an
	// app instance has; a throwaway one on an in-memory database gives clients
	// exactly the node's registry (every Msg, every Msg response).
	home, err := os.MkdirTemp("", "hyphad-codec")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(home)
	return New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.NewAppOptionsWithFlagHome(home)).EncodingConfig()
})

// ClientEncoding returns the codecs of a full node (every module's messages,
// responses and interfaces registered) for clients: the CLI and the agents'
// chain client. It is built once per process.
func ClientEncoding() EncodingConfig { return clientEnc() }
