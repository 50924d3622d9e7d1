// Package api is the HTTP interface of a blob server, shared by blob/server
// and blob/client: paths, headers and JSON bodies.
//
//	GET  /v1/blobs?after=ID&limit=N   list (ordered by id), JSON List
//	GET  /v1/blobs/ID                 the bytes; HEAD, Range and If-None-Match work
//	GET  /v1/blobs/ID/manifest        the manifest (JSON, see blob.Manifest)
//	GET  /v1/blobs/ID/chunks/I        chunk I's bytes, its proof in headers
//	PUT  /v1/blobs/ID                 upload, checked against ID (if the server allows)
//
// Errors are JSON Error bodies with a status: 400 bad id or request, 401
// unauthorized upload, 403 uploads off, 404 unknown blob or chunk, 413 upload
// too large, 416 bad range, 422 content does not match the id, 507 quota.
package api

import (
	"strconv"

	"github.com/hypha-network/hypha/blob"
)

// Prefix is the path every blob route starts with.
const Prefix = "/v1/blobs"

// Headers of a chunk response: the blob's size, the chunk's index and leaf
// hash (hex), and its audit path (comma-separated hex, leaf up to root).
const (
	HeaderSize  = "X-Hypha-Blob-Size"
	HeaderIndex = "X-Hypha-Chunk-Index"
	HeaderLeaf  = "X-Hypha-Chunk-Leaf"
	HeaderProof = "X-Hypha-Chunk-Proof"
)

// DefaultListLimit and MaxListLimit bound one list page.
const (
	DefaultListLimit = 1000
	MaxListLimit     = 10000
)

// BlobPath is the path of a blob's bytes (GET, HEAD, PUT).
func BlobPath(id blob.ID) string { return Prefix + "/" + id.String() }

// ManifestPath is the path of a blob's manifest.
func ManifestPath(id blob.ID) string { return BlobPath(id) + "/manifest" }

// ChunkPath is the path of chunk i of a blob.
func ChunkPath(id blob.ID, i int) string { return BlobPath(id) + "/chunks/" + strconv.Itoa(i) }

// Error is the body of every error response.
type Error struct {
	Error string `json:"error"` // what went wrong and what to do
	Code  string `json:"code"`  // one of the Code* constants
}

// Error codes, stable for programs to switch on.
const (
	CodeBadRequest   = "bad_request"
	CodeBadID        = "bad_id"
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "uploads_off"
	CodeNotFound     = "not_found"
	CodeTooLarge     = "too_large"
	CodeBadRange     = "bad_range"
	CodeMismatch     = "mismatch"
	CodeQuota        = "quota"
	CodeInternal     = "internal"
)

// List is the body of a list response.
type List struct {
	Blobs []blob.Info `json:"blobs"`
	// Next is the id to pass as after= for the next page; empty on the last.
	Next  string `json:"next,omitempty"`
	Used  int64  `json:"used"`
	Quota int64  `json:"quota"` // 0: no quota
}

// Put is the body of a successful upload: the blob, and whether the server
// held it already.
type Put struct {
	blob.Info
	Existed bool `json:"existed"`
}
