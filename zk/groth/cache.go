package groth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	cs "github.com/consensys/gnark/constraint/bn254"

	"github.com/hypha-network/hypha/zk/circuit"
)

// ErrNotCached reports keys that are not in the cache yet: run the
// ceremony (hyphad zk setup) first.
var ErrNotCached = errors.New("zk/groth: keys not cached")

// ErrCorrupt reports a cache entry whose files do not match its manifest.
var ErrCorrupt = errors.New("zk/groth: key cache entry is corrupt")

// Keys are one model's compiled circuit and Groth16 keys in one mode.
type Keys struct {
	CCS *cs.R1CS
	PK  groth16.ProvingKey
	VK  groth16.VerifyingKey
	// ID is KeyID(VK).
	ID [32]byte
}

// Manifest describes a cache entry; the SHA-256 of the proving key file is
// also its blob id when the key is shipped through the blob store.
type Manifest struct {
	ModelHash   string `json:"model_hash"`
	Mode        string `json:"mode"`
	KeyID       string `json:"key_id"`
	PKSHA256    string `json:"pk_sha256"`
	CCSSHA256   string `json:"ccs_sha256"`
	Constraints int    `json:"constraints"`
}

// Cache stores keys on disk under Dir/<model hash>/<mode>/.
type Cache struct{ Dir string }

// Path is the directory of one entry.
func (c Cache) Path(modelHash [32]byte, mode circuit.Mode) string {
	return filepath.Join(c.Dir, hex.EncodeToString(modelHash[:]), strings.ReplaceAll(mode.String(), "/", "+"))
}

// Save writes keys for (modelHash, mode). Each file is written to a
// temporary name, synced and renamed, and the manifest goes last, so a
// kill -9 leaves either the old entry or the new one, never a mix.
func (c Cache) Save(modelHash [32]byte, mode circuit.Mode, k *Keys) (*Manifest, error) {
	dir := c.Path(modelHash, mode)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("zk/groth: cache: %w", err)
	}
	var ccsB, pkB bytes.Buffer
	if _, err := k.CCS.WriteTo(&ccsB); err != nil {
		return nil, fmt.Errorf("zk/groth: cache: encode circuit: %w", err)
	}
	if _, err := k.PK.WriteRawTo(&pkB); err != nil {
		return nil, fmt.Errorf("zk/groth: cache: encode proving key: %w", err)
	}
	vkB, err := EncodeVerifyingKey(k.VK)
	if err != nil {
		return nil, err
	}
	id := sha256.Sum256(vkB)
	pkSum, ccsSum := sha256.Sum256(pkB.Bytes()), sha256.Sum256(ccsB.Bytes())
	m := &Manifest{ModelHash: hex.EncodeToString(modelHash[:]), Mode: mode.String(), KeyID: hex.EncodeToString(id[:]),
		PKSHA256: hex.EncodeToString(pkSum[:]), CCSSHA256: hex.EncodeToString(ccsSum[:]), Constraints: k.CCS.GetNbConstraints()}
	mb, _ := json.MarshalIndent(m, "", "  ")
	for _, f := range []struct {
		name string
		b    []byte
	}{{"ccs.bin", ccsB.Bytes()}, {"pk.bin", pkB.Bytes()}, {"vk.bin", vkB}, {"manifest.json", append(mb, '\n')}} {
		if err := WriteFileAtomic(filepath.Join(dir, f.name), f.b); err != nil {
			return nil, err
		}
	}
	k.ID = id
	return m, nil
}

// Load reads the entry for (modelHash, mode), checking every file against
// the manifest. A missing entry is ErrNotCached.
func (c Cache) Load(modelHash [32]byte, mode circuit.Mode) (*Keys, *Manifest, error) {
	dir := c.Path(modelHash, mode)
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w: %s (run hyphad zk setup)", ErrNotCached, dir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("zk/groth: cache: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, nil, fmt.Errorf("%w: manifest: %v", ErrCorrupt, err)
	}
	read := func(name, want string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != want {
			return nil, fmt.Errorf("%w: %s does not match the manifest", ErrCorrupt, name)
		}
		return b, nil
	}
	ccsB, err := read("ccs.bin", m.CCSSHA256)
	if err != nil {
		return nil, nil, err
	}
	pkB, err := read("pk.bin", m.PKSHA256)
	if err != nil {
		return nil, nil, err
	}
	vkB, err := read("vk.bin", m.KeyID)
	if err != nil {
		return nil, nil, err
	}
	k := &Keys{CCS: new(cs.R1CS), PK: groth16.NewProvingKey(ecc.BN254)}
	if _, err := k.CCS.ReadFrom(bytes.NewReader(ccsB)); err != nil {
		return nil, nil, fmt.Errorf("%w: circuit: %v", ErrCorrupt, err)
	}
	// The proving key is our own file, checked against the manifest hash,
	// so its points need no subgroup checks (seconds on a large key).
	if _, err := k.PK.UnsafeReadFrom(bytes.NewReader(pkB)); err != nil {
		return nil, nil, fmt.Errorf("%w: proving key: %v", ErrCorrupt, err)
	}
	if k.VK, err = DecodeVerifyingKey(vkB); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	k.ID = sha256.Sum256(vkB)
	return k, &m, nil
}

// WriteFileAtomic writes b to path through a synced temporary file and a
// rename, then syncs the directory.
func WriteFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("zk/groth: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("zk/groth: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("zk/groth: sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("zk/groth: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("zk/groth: rename %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
