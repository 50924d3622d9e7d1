// Package zkcli is `hyphad zk`: the per-model Groth16 ceremony (setup,
// contribute, verify-setup) and a helper that writes a quantized model
// file. Every command prints what it did: ids, hashes, counts.
package zkcli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/logger"

	"github.com/hypha-network/hypha/ml/quant"
	"github.com/hypha-network/hypha/zk/circuit"
	"github.com/hypha-network/hypha/zk/groth"
	"github.com/hypha-network/hypha/zk/setup"
)

// NewCommand returns the `zk` command group.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "zk",
		Short: "zk inference: per-model Groth16 ceremony and keys",
		Long: "Run the Groth16 phase-2 ceremony of a quantized model's circuit: `setup` starts it with the\n" +
			"owner's contribution, `contribute` adds others' (phase 1, then phase 2), and `verify-setup`\n" +
			"checks the whole transcript, derives the keys and caches them. See docs/zk.md.",
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(modelCmd(), setupCmd(), contributeCmd(), verifyCmd())
	return cmd
}

const (
	flagModel      = "model"
	flagMode       = "mode"
	flagTranscript = "transcript"
	flagName       = "name"
	flagBeacon     = "beacon"
	flagPhase      = "phase"
	flagCache      = "cache"
)

func modelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model --random 784,32,10 [--seed 1] --out model.qmlp",
		Short: "Write a quantized MLP with deterministic pseudo-random weights (for trials and benchmarks)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dimsS, _ := cmd.Flags().GetString("random")
			seed, _ := cmd.Flags().GetUint64("seed")
			out, _ := cmd.Flags().GetString("out")
			if out == "" || dimsS == "" {
				return fmt.Errorf("zk model: --random widths and --out are required, e.g. --random 784,32,10 --out model.qmlp")
			}
			var dims []int
			for _, f := range strings.Split(dimsS, ",") {
				d, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || d <= 0 {
					return fmt.Errorf("zk model: --random %q: widths are positive integers separated by commas", dimsS)
				}
				dims = append(dims, d)
			}
			m, err := quant.Random(seed, dims...)
			if err != nil {
				return err
			}
			b, _ := m.MarshalBinary()
			if err := groth.WriteFileAtomic(out, b); err != nil {
				return err
			}
			h := m.Hash()
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d layers %s, model hash %s\n", out, len(m.Layers), dimsS, hex.EncodeToString(h[:]))
			return nil
		},
	}
	cmd.Flags().String("random", "", "layer widths, input first (e.g. 784,32,10)")
	cmd.Flags().Uint64("seed", 1, "seed of the pseudo-random weights")
	cmd.Flags().String("out", "", "output file (canonical quant encoding)")
	return cmd
}

func addCeremonyFlags(cmd *cobra.Command) {
	cmd.Flags().String(flagModel, "", "quantized model file (canonical quant encoding)")
	cmd.Flags().String(flagMode, "public", "public | private | public-committed | private-committed")
	cmd.Flags().String(flagTranscript, "", "ceremony transcript file")
}

// ceremonyArgs loads the model, compiles its circuit and names the files.
type ceremonyArgs struct {
	model      *quant.Model
	mode       circuit.Mode
	ccs        *cs.R1CS
	transcript string
}

func loadArgs(cmd *cobra.Command, progress io.Writer) (*ceremonyArgs, error) {
	path, _ := cmd.Flags().GetString(flagModel)
	modeS, _ := cmd.Flags().GetString(flagMode)
	tr, _ := cmd.Flags().GetString(flagTranscript)
	if path == "" || tr == "" {
		return nil, fmt.Errorf("--%s and --%s are required", flagModel, flagTranscript)
	}
	mode, err := circuit.ParseMode(modeS)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	var m quant.Model
	if err := m.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	logger.Disable() // gnark's own compile log would bury the outcome lines
	fmt.Fprintf(progress, "compiling the %s circuit...\n", mode)
	_, ccs, err := groth.Compile(&m, mode)
	if err != nil {
		return nil, err
	}
	return &ceremonyArgs{model: &m, mode: mode, ccs: ccs, transcript: tr}, nil
}

func readTranscript(path string) (*setup.Transcript, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read transcript: %w", err)
	}
	var t setup.Transcript
	if err := t.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &t, nil
}

func writeTranscript(path string, t *setup.Transcript) error {
	b, err := t.MarshalBinary()
	if err != nil {
		return err
	}
	return groth.WriteFileAtomic(path, b)
}

func checkFor(a *ceremonyArgs, t *setup.Transcript) error {
	if t.ModelHash != a.model.Hash() || t.Mode != a.mode.String() {
		h := a.model.Hash()
		return fmt.Errorf("%s is the ceremony of model %x (%s), not of this model %x (%s)", a.transcript, t.ModelHash[:8], t.Mode, h[:8], a.mode)
	}
	return nil
}

func printContribution(w io.Writer, phase int, t *setup.Transcript, c setup.Contribution, took time.Duration) {
	h := c.Hash()
	n := len(t.Phase1)
	if phase == 2 {
		n = len(t.Phase2)
	}
	fmt.Fprintf(w, "phase %d contribution #%d by %q: sha256 %s (%d bytes, %.1f s)\n", phase, n, c.Name, hex.EncodeToString(h[:]), len(c.Data), took.Seconds())
}

func setupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "setup --model model.qmlp --mode public --transcript model.zkc [--name owner]",
		Short: "Start a model's ceremony: a new transcript with the owner's phase-1 contribution",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			a, err := loadArgs(cmd, errw)
			if err != nil {
				return err
			}
			if _, err := os.Stat(a.transcript); err == nil {
				return fmt.Errorf("%s exists: a ceremony is already under way there (use zk contribute, or pick another file)", a.transcript)
			}
			name, _ := cmd.Flags().GetString(flagName)
			t := setup.New(a.ccs, a.model.Hash(), a.mode.String())
			fmt.Fprintf(out, "ceremony for model %x, %s: %d constraints, domain %d\n", a.model.Hash(), a.mode, a.ccs.GetNbConstraints(), t.Domain)
			fmt.Fprintln(errw, "phase 1: contributing...")
			t0 := time.Now()
			c, err := t.ContributePhase1(name)
			if err != nil {
				return err
			}
			if err := writeTranscript(a.transcript, t); err != nil {
				return err
			}
			printContribution(out, 1, t, c, time.Since(t0))
			fmt.Fprintf(out, "wrote %s; next: another party runs `hyphad zk contribute`\n", a.transcript)
			return nil
		},
	}
	addCeremonyFlags(cmd)
	cmd.Flags().String(flagName, "owner", "contributor name recorded in the transcript")
	return cmd
}

func contributeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contribute --model model.qmlp --mode public --transcript model.zkc --name alice [--phase 2 --beacon B]",
		Short: "Add a contribution to a ceremony (phase 1, or phase 2 after closing phase 1 with a beacon)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			a, err := loadArgs(cmd, errw)
			if err != nil {
				return err
			}
			t, err := readTranscript(a.transcript)
			if err != nil {
				return err
			}
			if err := checkFor(a, t); err != nil {
				return err
			}
			name, _ := cmd.Flags().GetString(flagName)
			phase, _ := cmd.Flags().GetInt(flagPhase)
			beacon, _ := cmd.Flags().GetString(flagBeacon)
			t0 := time.Now()
			var c setup.Contribution
			switch phase {
			case 1:
				fmt.Fprintln(errw, "phase 1: contributing...")
				c, err = t.ContributePhase1(name)
			case 2:
				if len(t.Beacon1) == 0 {
					if beacon == "" {
						return fmt.Errorf("phase 1 is still open: pass --beacon (a public random value after the last phase-1 contribution, e.g. a block hash) to close it")
					}
					if err := t.ClosePhase1([]byte(beacon)); err != nil {
						return err
					}
					fmt.Fprintf(out, "phase 1 closed with beacon %q after %d contributions\n", beacon, len(t.Phase1))
				}
				if len(t.Phase2) == 0 {
					fmt.Fprintln(errw, "phase 2: verifying phase 1 and initializing the circuit's phase 2...")
				}
				fmt.Fprintln(errw, "phase 2: contributing...")
				c, err = t.ContributePhase2(a.ccs, name)
			default:
				return fmt.Errorf("--phase is 1 or 2, not %d", phase)
			}
			if err != nil {
				return err
			}
			if err := writeTranscript(a.transcript, t); err != nil {
				return err
			}
			printContribution(out, phase, t, c, time.Since(t0))
			return nil
		},
	}
	addCeremonyFlags(cmd)
	cmd.Flags().String(flagName, "", "contributor name recorded in the transcript")
	cmd.Flags().Int(flagPhase, 1, "phase to contribute to (1 or 2)")
	cmd.Flags().String(flagBeacon, "", "public beacon closing phase 1 (needed for the first phase-2 contribution)")
	return cmd
}

func verifyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify-setup --model model.qmlp --mode public --transcript model.zkc [--beacon B] [--cache dir]",
		Short: "Verify a ceremony transcript, derive the Groth16 keys and cache them",
		Long: "Replays every contribution's proofs in both phases and both beacons, and derives the keys.\n" +
			"If phase 2 is still open, --beacon closes it first (and the transcript is rewritten).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			a, err := loadArgs(cmd, errw)
			if err != nil {
				return err
			}
			t, err := readTranscript(a.transcript)
			if err != nil {
				return err
			}
			if err := checkFor(a, t); err != nil {
				return err
			}
			if beacon, _ := cmd.Flags().GetString(flagBeacon); len(t.Beacon2) == 0 {
				if beacon == "" {
					return fmt.Errorf("phase 2 is still open: pass --beacon (a public random value after the last contribution) to close it")
				}
				if err := t.Finalize([]byte(beacon)); err != nil {
					return err
				}
				if err := writeTranscript(a.transcript, t); err != nil {
					return err
				}
				fmt.Fprintf(out, "phase 2 closed with beacon %q after %d contributions\n", beacon, len(t.Phase2))
			}
			fmt.Fprintln(errw, "verifying both phases...")
			t0 := time.Now()
			pk, vk, err := setup.Verify(a.ccs, a.model.Hash(), a.mode.String(), t)
			if err != nil {
				return err
			}
			took := time.Since(t0)
			for i, c := range t.Phase1 {
				h := c.Hash()
				fmt.Fprintf(out, "phase 1 #%d %-12q sha256 %s ok\n", i+1, c.Name, hex.EncodeToString(h[:8]))
			}
			for i, c := range t.Phase2 {
				h := c.Hash()
				fmt.Fprintf(out, "phase 2 #%d %-12q sha256 %s ok\n", i+1, c.Name, hex.EncodeToString(h[:8]))
			}
			dir, _ := cmd.Flags().GetString(flagCache)
			if dir == "" {
				dir = filepath.Join(filepath.Dir(a.transcript), "zk-keys")
			}
			man, err := groth.Cache{Dir: dir}.Save(a.model.Hash(), a.mode, &groth.Keys{CCS: a.ccs, PK: pk, VK: vk})
			if err != nil {
				return err
			}
			ts := sha256.Sum256(mustMarshal(t))
			fmt.Fprintf(out, "transcript verified in %.1f s (sha256 %s)\n", took.Seconds(), hex.EncodeToString(ts[:]))
			fmt.Fprintf(out, "key id %s\nproving key sha256 %s (blob id)\nkeys cached in %s\n", man.KeyID, man.PKSHA256, groth.Cache{Dir: dir}.Path(a.model.Hash(), a.mode))
			return nil
		},
	}
	addCeremonyFlags(cmd)
	cmd.Flags().String(flagBeacon, "", "public beacon closing phase 2, if it is still open")
	cmd.Flags().String(flagCache, "", "key cache directory (default: zk-keys next to the transcript)")
	return cmd
}

func mustMarshal(t *setup.Transcript) []byte {
	b, _ := t.MarshalBinary()
	return b
}
