#!/usr/bin/env bash
# Generates Go code from proto/hypha/**.proto, offline: protoc from Debian plus the
# .proto imports of the Cosmos SDK, gogoproto and cosmos-proto from the Go module
# cache. Generated files are committed, so a checkout builds with `go build` alone.
#
# Needs: protoc (apt-get install protobuf-compiler). Installs the two protoc plugins
# at the versions the chain pins into $(go env GOPATH)/bin if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }
GOBIN=$(go env GOPATH)/bin
export PATH="$GOBIN:$PATH"
command -v protoc-gen-gocosmos >/dev/null || go install github.com/cosmos/gogoproto/protoc-gen-gocosmos@v1.7.2
command -v protoc-gen-grpc-gateway >/dev/null || go install github.com/grpc-ecosystem/grpc-gateway/protoc-gen-grpc-gateway@v1.16.0

go mod download github.com/cosmos/cosmos-sdk github.com/cosmos/gogoproto github.com/cosmos/cosmos-proto github.com/grpc-ecosystem/grpc-gateway@v1.16.0
SDK=$(go list -m -f '{{.Dir}}' github.com/cosmos/cosmos-sdk)
GOGO=$(go list -m -f '{{.Dir}}' github.com/cosmos/gogoproto)
CPROTO=$(go list -m -f '{{.Dir}}' github.com/cosmos/cosmos-proto)
GAPI=$(go env GOMODCACHE)/github.com/grpc-ecosystem/grpc-gateway@v1.16.0/third_party/googleapis
# The well-known types (google/protobuf/descriptor.proto, …) come from gogoproto's
# copy in the module cache, so the script does not depend on libprotobuf-dev.

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

found=0
for dir in $(find proto/hypha -name '*.proto' -exec dirname {} \; | sort -u); do
  found=1
  echo "protoc $dir"
  protoc -I proto -I "$SDK/proto" -I "$GOGO" -I "$GOGO/protobuf" -I "$CPROTO/proto" -I "$GAPI" \
    --gocosmos_out=plugins=grpc,Mgoogle/protobuf/any.proto=github.com/cosmos/gogoproto/types/any:"$OUT" \
    --grpc-gateway_out=logtostderr=true,allow_colon_final_segments=true:"$OUT" \
    "$dir"/*.proto
done
[ "$found" = 1 ] || { echo "no .proto files under proto/hypha"; exit 0; }

# Files are generated under their go_package path; move ours into the tree.
cp -r "$OUT"/github.com/hypha-network/hypha/* ./
echo "generated Go code is up to date"
