// Package blob defines content-addressed blobs: the datasets, checkpoints and
// models that agents hand each other by id.
//
// A blob is cut into chunks of ChunkSize (1 MiB) bytes, the last one shorter;
// its ID is the RFC 6962 Merkle root (package ml/merkle) over those chunks,
// each chunk a leaf. The empty blob has no chunks, so its id is the root of an
// empty list: SHA-256 of nothing (EmptyID). A Manifest lists a blob's size and
// its chunk leaf hashes, so a receiver can check every chunk on its own as it
// arrives; a ChunkProof lets one chunk be checked against the id alone.
//
// The package is pure logic (no files, no network): blob/store keeps blobs on
// disk, blob/server serves them over HTTP and blob/client fetches them.
package blob
