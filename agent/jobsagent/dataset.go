package jobsagent

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/client"
	"github.com/hypha-network/hypha/blob/store"
	"github.com/hypha-network/hypha/ml/train"
)

// DatasetFile makes the job's dataset available as a file ml/train can load
// and returns its path. The rule: a job's dataset id is the blob id of the
// dataset file's exact bytes (what `hyphad blob put FILE` prints), and the
// spec's data.path names only the file's format by its base name (a ".gz"
// suffix means gzip). The file is taken from st if it is there, else fetched
// from sources (verified chunk by chunk against the id) and added to st, so
// this agent serves it too. It is written to dir/<id>/<base of data.path>.
func DatasetFile(ctx context.Context, st *store.Store, spec *train.Spec, datasetID string, dir string, sources []string) (string, error) {
	id, err := blob.ParseID(datasetID)
	if err != nil {
		return "", fmt.Errorf("job dataset id %q: %w", datasetID, err)
	}
	base := filepath.Base(spec.Data.Path)
	if base == "." || base == "/" || base == "" {
		base = "data"
	}
	dst := filepath.Join(dir, id.String(), base)
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", fmt.Errorf("dataset dir: %w", err)
	}
	if p, err := st.Path(id); err == nil {
		if err := copyFile(p, dst); err != nil {
			return "", fmt.Errorf("dataset %s from the blob store: %w", id.Short(), err)
		}
		return dst, nil
	}
	if len(sources) == 0 {
		return "", fmt.Errorf("dataset %s is not in the blob store and no dataset source is configured (hyphad blob put the file into %s, or set dataset_sources)", id.Short(), st.Dir())
	}
	var c client.Client
	if _, err := c.Get(ctx, id, dst+".get", sources...); err != nil {
		return "", fmt.Errorf("fetch dataset %s: %w", id.Short(), err)
	}
	if _, err := st.PutFile(dst+".get", id); err != nil {
		return "", fmt.Errorf("store dataset %s: %w", id.Short(), err)
	}
	if err := os.Rename(dst+".get", dst); err != nil {
		return "", fmt.Errorf("dataset %s: %w", id.Short(), err)
	}
	return dst, nil
}

// copyFile copies src to dst through a temporary file, so a kill mid-copy
// never leaves a short dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst + ".tmp")
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(dst+".tmp", dst)
}
