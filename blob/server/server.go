// Package server serves a blob store over HTTP (the routes of blob/api):
// reads with ranges, manifests, chunks with proofs, listing, and, when
// enabled, uploads checked against their id. Agents mount Handler next to
// their own routes; `hyphad blob serve` serves it alone.
package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/api"
	"github.com/hypha-network/hypha/blob/store"
)

// Authorizer decides whether a request may upload; an error is answered 401
// with its message. It runs before the body is read.
type Authorizer func(r *http.Request) error

// Config configures a Handler.
type Config struct {
	// Store is the store served.
	Store *store.Store
	// AllowUpload enables PUT; off by default, so a server only serves what
	// its owner put in the store.
	AllowUpload bool
	// Authorize, if set, must accept every upload (see blob/blobauth for
	// signed requests). Reads are public: blobs are content-addressed, so a
	// reader learns only what it already named.
	Authorize Authorizer
	// MaxUpload bounds one upload in bytes (0: no bound but the quota).
	MaxUpload int64
	// Stall bounds how long a transfer may make no progress: the server's
	// read and write deadlines move forward by Stall after every chunk, so
	// a large blob is not cut by the server's WriteTimeout and a stalled
	// client is. Default 30 s.
	Stall time.Duration
}

// Handler serves the blob API.
type Handler struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the handler of cfg.
func New(cfg Config) *Handler {
	if cfg.Stall <= 0 {
		cfg.Stall = 30 * time.Second
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+api.Prefix, h.list)
	h.mux.HandleFunc("GET "+api.Prefix+"/{id}", h.get)
	h.mux.HandleFunc("GET "+api.Prefix+"/{id}/manifest", h.manifest)
	h.mux.HandleFunc("GET "+api.Prefix+"/{id}/chunks/{i}", h.chunk)
	h.mux.HandleFunc("PUT "+api.Prefix+"/{id}", h.put)
	h.mux.HandleFunc(api.Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, api.CodeNotFound, fmt.Sprintf("no route %s %s (see docs/blob.md for the API)", r.Method, r.URL.Path))
	})
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// parseID reads the {id} path value or answers 400.
func parseID(w http.ResponseWriter, r *http.Request) (blob.ID, bool) {
	id, err := blob.ParseID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, api.CodeBadID, err.Error())
		return blob.ID{}, false
	}
	return id, true
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	limit := api.DefaultListLimit
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > api.MaxListLimit {
			writeError(w, http.StatusBadRequest, api.CodeBadRequest, fmt.Sprintf("limit %q: want 1..%d", s, api.MaxListLimit))
			return
		}
		limit = n
	}
	var after blob.ID
	if s := r.URL.Query().Get("after"); s != "" {
		id, err := blob.ParseID(s)
		if err != nil {
			writeError(w, http.StatusBadRequest, api.CodeBadID, "after: "+err.Error())
			return
		}
		after = id
	}
	all, err := h.cfg.Store.List()
	if err != nil {
		writeStoreError(w, err)
		return
	}
	out := api.List{Blobs: []blob.Info{}}
	out.Used, out.Quota = h.cfg.Store.Usage()
	for _, in := range all {
		if !after.IsZero() && bytes.Compare(in.ID[:], after[:]) <= 0 {
			continue
		}
		if len(out.Blobs) == limit {
			out.Next = out.Blobs[len(out.Blobs)-1].ID.String()
			break
		}
		out.Blobs = append(out.Blobs, in)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(w, r)
	if !ok {
		return
	}
	f, err := h.cfg.Store.Open(id)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+id.String()+`"`)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set(api.HeaderSize, strconv.FormatInt(f.Info.Size, 10))
	// ServeContent handles HEAD, Range, If-Range and If-None-Match; jsonErrors
	// turns its plain-text errors (416) into the API's JSON.
	http.ServeContent(&jsonErrors{progressWriter: progressWriter{ResponseWriter: w, stall: h.cfg.Stall}}, r, "", f.Info.Created, f)
}

func (h *Handler) manifest(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(w, r)
	if !ok {
		return
	}
	m, err := h.cfg.Store.Manifest(id)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = (&progressWriter{ResponseWriter: w, stall: h.cfg.Stall}).Write(m.Encode())
}

func (h *Handler) chunk(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(w, r)
	if !ok {
		return
	}
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil || i < 0 {
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, fmt.Sprintf("chunk index %q is not a number >= 0", r.PathValue("i")))
		return
	}
	data, p, err := h.cfg.Store.ReadChunk(id, i)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set(api.HeaderSize, strconv.FormatInt(p.Size, 10))
	hd.Set(api.HeaderIndex, strconv.Itoa(p.Index))
	hd.Set(api.HeaderLeaf, blob.ID(p.Leaf).String())
	hd.Set(api.HeaderProof, blob.EncodePath(p.Path))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = (&progressWriter{ResponseWriter: w, stall: h.cfg.Stall}).Write(data)
	}
}

func (h *Handler) put(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(w, r)
	if !ok {
		return
	}
	if !h.cfg.AllowUpload {
		writeError(w, http.StatusForbidden, api.CodeForbidden, "uploads are off on this server (its owner enables them, e.g. `hyphad blob serve --allow-upload`)")
		return
	}
	if h.cfg.Authorize != nil {
		if err := h.cfg.Authorize(r); err != nil {
			writeError(w, http.StatusUnauthorized, api.CodeUnauthorized, err.Error())
			return
		}
	}
	if h.cfg.Store.Has(id) {
		// Content-addressed: the server has these bytes already, so the body
		// need not be read (a client sending Expect: 100-continue never sends it).
		in, err := h.cfg.Store.Stat(id)
		if err != nil {
			writeStoreError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, api.Put{Info: in, Existed: true})
		return
	}
	if h.cfg.MaxUpload > 0 && r.ContentLength > h.cfg.MaxUpload {
		writeError(w, http.StatusRequestEntityTooLarge, api.CodeTooLarge, fmt.Sprintf("the upload is %d bytes, more than this server's %d", r.ContentLength, h.cfg.MaxUpload))
		return
	}
	if r.ContentLength > 0 {
		if err := h.cfg.Store.Fits(r.ContentLength); err != nil {
			writeStoreError(w, err)
			return
		}
	}
	body := &progressReader{r: r.Body, rc: http.NewResponseController(w), stall: h.cfg.Stall}
	src := http.MaxBytesReader(w, body, maxOr(h.cfg.MaxUpload, blob.MaxSize))
	in, err := h.cfg.Store.Put(src, id)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, api.CodeTooLarge, fmt.Sprintf("the upload is more than this server's %d bytes", mbe.Limit))
			return
		}
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.Put{Info: in})
}

func maxOr(v, d int64) int64 {
	if v > 0 {
		return v
	}
	return d
}

// writeStoreError maps a store error to its status.
func writeStoreError(w http.ResponseWriter, err error) {
	var code, status = api.CodeInternal, http.StatusInternalServerError
	switch {
	case errors.Is(err, store.ErrNotFound):
		code, status = api.CodeNotFound, http.StatusNotFound
	case errors.Is(err, blob.ErrChunkRange):
		code, status = api.CodeNotFound, http.StatusNotFound
	case errors.Is(err, blob.ErrMismatch):
		code, status = api.CodeMismatch, http.StatusUnprocessableEntity
	case errors.Is(err, store.ErrQuota):
		code, status = api.CodeQuota, http.StatusInsufficientStorage
	case errors.Is(err, store.ErrRange):
		code, status = api.CodeBadRange, http.StatusRequestedRangeNotSatisfiable
	case errors.Is(err, store.ErrSource):
		code, status = api.CodeBadRequest, http.StatusBadRequest
	}
	writeError(w, status, code, err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, api.Error{Error: msg, Code: code})
}
